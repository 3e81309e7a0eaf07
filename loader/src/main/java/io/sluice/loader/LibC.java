package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The few libc functions the loader needs: file descriptors of directories and namespaces, {@code setns},
 * {@code if_nametoindex}, and {@code vsnprintf} for libbpf's print callback. Each wrapper throws
 * {@link BpfException} naming the call, the object and errno. Stateless; safe from any thread.
 */
final class LibC {
    static final int O_RDONLY = 0;
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;
    private static final int F_DUPFD_CLOEXEC = 1030;
    static final int EINTR = 4;

    // Each handle in a holder named after its C function, bound when first used (see LibBpf).
    private static final class open {
        static final MethodHandle HANDLE =
                Native.libc("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Native.CAPTURE_ERRNO,
                        Linker.Option.firstVariadicArg(2));
    }

    private static final class fcntl {
        static final MethodHandle HANDLE =
                Native.libc("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Native.CAPTURE_ERRNO,
                        Linker.Option.firstVariadicArg(2));
    }

    private static final class close {
        static final MethodHandle HANDLE =
                Native.libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), Native.CAPTURE_ERRNO);
    }

    private static final class setns {
        static final MethodHandle HANDLE =
                Native.libc("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Native.CAPTURE_ERRNO);
    }

    private static final class if_nametoindex {
        static final MethodHandle HANDLE =
                Native.libc("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS), Native.CAPTURE_ERRNO);
    }

    private static final class read {
        static final MethodHandle HANDLE =
                Native.libc("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), Native.CAPTURE_ERRNO);
    }

    static final class vsnprintf {
        static final MethodHandle HANDLE =
                Native.libc("vsnprintf", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
    }

    private LibC() {
    }

    /** open(2) with O_CLOEXEC added; {@code what} names the object in the error. */
    static int open(String path, int flags, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) open.HANDLE.invokeExact(Native.capture(), arena.allocateFrom(path), flags | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new BpfException("open", what + " " + path, Native.errno());
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** A second descriptor of the same open file, close-on-exec. */
    static int dup(int fd, String what) {
        try {
            int copy = (int) fcntl.HANDLE.invokeExact(Native.capture(), fd, F_DUPFD_CLOEXEC, 0);
            if (copy < 0) {
                throw new BpfException("fcntl(F_DUPFD_CLOEXEC)", what, Native.errno());
            }
            return copy;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** close(2); a failure is reported, not ignored, since it means a descriptor was not ours. */
    static void close(int fd, String what) {
        try {
            int rc = (int) close.HANDLE.invokeExact(Native.capture(), fd);
            if (rc < 0) {
                throw new BpfException("close", what + " (fd " + fd + ")", Native.errno());
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * read(2) into {@code buffer}: the number of bytes read, 0 at end of file; retried on EINTR.
     *
     * @throws BpfException naming {@code what} on any other failure
     */
    static int read(int fd, MemorySegment buffer, String what) {
        try {
            while (true) {
                long n = (long) read.HANDLE.invokeExact(Native.capture(), fd, buffer, buffer.byteSize());
                if (n >= 0) {
                    return (int) n;
                }
                int errno = Native.errno();
                if (errno != EINTR) {
                    throw new BpfException("read", what, errno);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Moves the calling thread into the network namespace of {@code fd}. */
    static void setnsNet(int fd, String what) {
        try {
            int rc = (int) setns.HANDLE.invokeExact(Native.capture(), fd, CLONE_NEWNET);
            if (rc < 0) {
                throw new BpfException("setns(CLONE_NEWNET)", what, Native.errno());
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The interface index of {@code ifname} in the calling thread's network namespace, or 0 if there is none. */
    static int ifNameToIndex(String ifname) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) if_nametoindex.HANDLE.invokeExact(Native.capture(), arena.allocateFrom(ifname));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
