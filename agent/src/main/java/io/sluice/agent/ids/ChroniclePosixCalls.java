package io.sluice.agent.ids;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import net.openhft.posix.internal.PosixAPIHolder;
import net.openhft.posix.internal.noop.NoOpPosixAPI;

/**
 * The POSIX calls Chronicle Map makes on the agent's files, {@code fallocate} (reserving a map file's blocks when it
 * grows, so a full disk is an error at open rather than a SIGBUS on a write) and {@code msync}, made through the JDK's
 * foreign function linker. Chronicle's own implementation loads jnr-ffi, which at every start ran {@code ldconfig -p}
 * (a child process) to find libc and loaded ~370 classes: ~0.35 s of CPU for two system calls. Other POSIX calls
 * behave as in Chronicle's no-op implementation (its fallback when jnr-ffi cannot load); Chronicle Map makes none.
 */
final class ChroniclePosixCalls extends NoOpPosixAPI {
    private static final Linker LINKER = Linker.nativeLinker();
    /** {@code int fallocate(int fd, int mode, off_t offset, off_t len)}; off_t is 64 bits on the 64-bit Linux ABIs. */
    private static final MethodHandle FALLOCATE = libc("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    /** {@code int msync(void *addr, size_t length, int flags)}. */
    private static final MethodHandle MSYNC = libc("msync", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private ChroniclePosixCalls() {
        super("Sluice: only fallocate and msync are implemented (through the foreign function linker)");
    }

    /**
     * Makes these the POSIX calls Chronicle uses from now on. To save loading jnr-ffi it must run before Chronicle's
     * {@code Jvm} class initialises, which loads Chronicle's implementation unless one is set.
     */
    static void install() {
        PosixAPIHolder.POSIX_API = new ChroniclePosixCalls();
    }

    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        MemorySegment function = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(function, descriptor);
    }

    /** As fallocate(2): 0, or -1 when it failed. */
    @Override
    public int fallocate(int fd, int mode, long offset, long length) {
        try {
            return (int) FALLOCATE.invokeExact(fd, mode, offset, length);
        } catch (Throwable e) {
            throw new IllegalStateException("fallocate of fd " + fd + " failed: " + e, e);
        }
    }

    /** As msync(2): 0, or -1 when it failed. */
    @Override
    public int msync(long address, long length, int flags) {
        try {
            return (int) MSYNC.invokeExact(MemorySegment.ofAddress(address), length, flags);
        } catch (Throwable e) {
            throw new IllegalStateException("msync of " + length + " bytes failed: " + e, e);
        }
    }
}
