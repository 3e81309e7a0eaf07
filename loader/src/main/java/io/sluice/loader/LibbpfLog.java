package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libbpf's print callback, routed to the SLF4J logger {@code io.sluice.loader.libbpf} (libbpf WARN/INFO/DEBUG to
 * warn/info/debug). While a thread runs {@link BpfObject#load()} it holds a {@link LoadCapture}: the text libbpf
 * prints between {@code -- BEGIN PROG LOAD LOG --} and {@code -- END PROG LOAD LOG --} (the verifier's log) and
 * libbpf's warnings are collected for the exception. libbpf calls the callback on the thread that made the libbpf
 * call, so the capture is thread-local. Nothing thrown inside the callback leaves it: an exception escaping an
 * upcall would end the JVM.
 */
@SuppressWarnings("restricted") // native memory of libbpf and upcalls: the point of this class
final class LibbpfLog {
    private static final Logger LOG = LoggerFactory.getLogger("io.sluice.loader.libbpf");
    private static final String BEGIN = "-- BEGIN PROG LOAD LOG --";
    private static final String END = "-- END PROG LOAD LOG --";
    private static final int LIBBPF_WARN = 0;
    private static final int LIBBPF_INFO = 1;
    private static final int LIBBPF_DEBUG = 2;
    /** sizeof(va_list) on x86-64: gp_offset, fp_offset, overflow_arg_area, reg_save_area. */
    private static final long VA_LIST_SIZE = 24;

    private static final ThreadLocal<LoadCapture> CAPTURE = new ThreadLocal<>();
    /** Set while a call whose failure is expected and handled runs: its warnings are only worth debug. */
    private static final ThreadLocal<Boolean> EXPECTED_FAILURE = ThreadLocal.withInitial(() -> false);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private LibbpfLog() {
    }

    /** Installs the callback; called once from {@link LibBpf}'s initialisation. */
    static void install() {
        try {
            var target = MethodHandles.lookup().findStatic(LibbpfLog.class, "onPrint",
                    MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = Native.LINKER.upcallStub(target,
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), Arena.global());
            MemorySegment previous = (MemorySegment) LibBpf.libbpf_set_print.HANDLE.invokeExact(stub);
            LOG.debug("libbpf print callback installed (previous {})", previous);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Starts collecting libbpf's output on this thread until the returned capture is closed. */
    static LoadCapture capture() {
        LoadCapture capture = new LoadCapture();
        CAPTURE.set(capture);
        return capture;
    }

    @SuppressWarnings("unused") // called from native code through the upcall stub
    private static int onPrint(int level, MemorySegment format, MemorySegment args) {
        try {
            LoadCapture capture = CAPTURE.get();
            // Formatting is the callback's cost (two vsnprintf downcalls and a string): an object's load prints ~500
            // debug lines, which neither a logger at info nor the capture reads.
            if (!enabled(EXPECTED_FAILURE.get() ? LIBBPF_DEBUG : level) && (capture == null || !capture.reads(level))) {
                return 0;
            }
            String text = format(format, args);
            if (capture != null) {
                String rest = capture.accept(level, text);
                log(level, rest);
                if (rest.length() < text.length() && LOG.isDebugEnabled()) {
                    LOG.debug("verifier log (carried by the load exception):\n{}", capture.verifierLog().stripTrailing());
                }
            } else {
                log(level, text);
            }
        } catch (Throwable t) {
            try {
                LOG.error("libbpf print callback failed", t);
            } catch (Throwable ignored) {
                // Nothing may leave an upcall.
            }
        }
        return 0;
    }

    private static boolean enabled(int level) {
        return switch (level) {
            case LIBBPF_WARN -> LOG.isWarnEnabled();
            case LIBBPF_INFO -> LOG.isInfoEnabled();
            default -> LOG.isDebugEnabled();
        };
    }

    /**
     * Runs a libbpf call whose failure the caller expects and handles (e.g. creating a clsact qdisc that may exist),
     * logging libbpf's warnings about it at debug instead of warn.
     */
    static int expectingFailure(NativeCall call) throws Throwable {
        EXPECTED_FAILURE.set(true);
        try {
            return call.invoke();
        } finally {
            EXPECTED_FAILURE.set(false);
        }
    }

    /** A libbpf call returning an int. */
    @FunctionalInterface
    interface NativeCall {
        int invoke() throws Throwable;
    }

    private static void log(int level, String text) {
        String line = text.stripTrailing();
        if (line.isEmpty()) {
            return;
        }
        if (EXPECTED_FAILURE.get()) {
            LOG.debug(line);
            return;
        }
        switch (level) {
            case LIBBPF_WARN -> LOG.warn(line);
            case LIBBPF_INFO -> LOG.info(line);
            default -> LOG.debug(line);
        }
    }

    /** vsnprintf into a per-thread buffer; a copy of the va_list (va_copy is a struct copy on x86-64) sizes it. */
    private static String format(MemorySegment format, MemorySegment args) throws Throwable {
        Scratch scratch = SCRATCH.get();
        MemorySegment vaList = args.reinterpret(VA_LIST_SIZE);
        scratch.vaCopy.copyFrom(vaList);
        int length = (int) LibC.vsnprintf.HANDLE.invokeExact(MemorySegment.NULL, 0L, format, scratch.vaCopy);
        if (length < 0) {
            return "";
        }
        MemorySegment buffer = scratch.buffer(length + 1L);
        int written = (int) LibC.vsnprintf.HANDLE.invokeExact(buffer, length + 1L, format, vaList);
        return written < 0 ? "" : buffer.getString(0);
    }

    /** Per-thread formatting memory, grown on demand; lives as long as its thread. */
    private static final class Scratch {
        final MemorySegment vaCopy = Arena.ofAuto().allocate(VA_LIST_SIZE, 8);
        private MemorySegment buffer = Arena.ofAuto().allocate(1024);

        MemorySegment buffer(long size) {
            if (buffer.byteSize() < size) {
                buffer = Arena.ofAuto().allocate(Math.max(size, buffer.byteSize() * 2));
            }
            return buffer;
        }
    }

    /** What libbpf printed during one load on one thread. Confined to that thread. */
    static final class LoadCapture implements AutoCloseable {
        private final StringBuilder verifierLog = new StringBuilder();
        private final StringBuilder warnings = new StringBuilder();
        private boolean inLog;

        /**
         * Whether a message at {@code level} may hold what this capture keeps: libbpf's warnings (the verifier log
         * is printed as one), or anything while a verifier log is open.
         */
        boolean reads(int level) {
            return level == LIBBPF_WARN || inLog;
        }

        /** Takes the verifier log out of {@code text}; returns what is left for the logger. */
        String accept(int level, String text) {
            StringBuilder rest = new StringBuilder();
            String[] lines = text.split("\n", -1);
            // A message ending in a newline leaves an empty last piece that is not a line.
            int count = text.endsWith("\n") ? lines.length - 1 : lines.length;
            for (int i = 0; i < count; i++) {
                String line = lines[i];
                int begin = line.indexOf(BEGIN);
                int end = line.indexOf(END);
                if (!inLog && begin >= 0) {
                    // What precedes the marker is only libbpf's "prog 'NAME': " prefix.
                    inLog = true;
                    continue;
                }
                if (inLog && end >= 0) {
                    verifierLog.append(line, 0, end);
                    inLog = false;
                    continue;
                }
                if (inLog) {
                    verifierLog.append(line).append('\n');
                } else if (!line.isBlank()) {
                    rest.append(line).append('\n');
                }
            }
            String left = rest.toString();
            if (level == LIBBPF_WARN) {
                warnings.append(left);
            }
            return left;
        }

        String verifierLog() {
            return verifierLog.toString();
        }

        /** libbpf's other output during the load, e.g. "couldn't reuse pinned map at ...". */
        String warnings() {
            return warnings.toString();
        }

        @Override
        public void close() {
            CAPTURE.remove();
        }
    }
}
