package io.sluice.loader;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Shared plumbing for the downcalls of this package: the linker, symbol lookups, errno capture and the one way
 * a {@link Throwable} from {@code invokeExact} is rethrown. Stateless apart from a per-thread capture segment.
 */
@SuppressWarnings("restricted") // native memory of libbpf and upcalls: the point of this class
final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final SymbolLookup LIBBPF = SymbolLookup.libraryLookup("libbpf.so.1", Arena.global());

    /** Adds a leading capture-state parameter to the downcall: used where a call reports failure only in errno. */
    static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** One capture segment per thread, reused for every call: calls capture and read errno on the same thread. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private Native() {
    }

    static MethodHandle libbpf(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return downcall(LIBBPF, "libbpf.so.1", name, descriptor, options);
    }

    static MethodHandle libc(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return downcall(LIBC, "libc", name, descriptor, options);
    }

    private static MethodHandle downcall(SymbolLookup lookup, String library, String name, FunctionDescriptor descriptor,
                                         Linker.Option... options) {
        MemorySegment symbol = lookup.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("symbol " + name + " not found in " + library));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** The calling thread's errno capture segment, to pass as the first argument of a capturing downcall. */
    static MemorySegment capture() {
        return CAPTURE.get();
    }

    /** errno as captured by the last capturing downcall of this thread. */
    static int errno() {
        return (int) ERRNO.get(CAPTURE.get(), 0L);
    }

    /** Rethrows what {@code invokeExact} threw: downcalls throw only unchecked exceptions and errors. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a native call", t);
    }

    /** The C string at {@code address}, or null for NULL. */
    static String string(MemorySegment address) {
        if (address.equals(MemorySegment.NULL)) {
            return null;
        }
        return address.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
