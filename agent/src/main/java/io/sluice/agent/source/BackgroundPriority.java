package io.sluice.agent.source;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the threads that parse manifests below the writer in the kernel's scheduling: a higher nice value
 * ({@link #NICE}) for the calling thread, and a parse pool whose workers take it too. On Linux the nice value is a
 * per-thread attribute ({@code setpriority(PRIO_PROCESS, 0, n)} changes the calling thread only), and raising it
 * needs no privilege.
 *
 * <p>Why: on a busy two-core machine the parse threads and the writer share the cores equally, so a folder rewritten
 * at 1,000 files/s made each flush wait behind parsing (event-to-map 25-50 ms with the writer idle 90 % of the time).
 * At nice {@value #NICE} a parse thread weighs a third of the writer when they compete, and runs at full speed when
 * they do not. Work that nothing waits for during the start runs at {@link #IDLE} ({@link #lowerCurrentThreadToIdle}).
 */
public final class BackgroundPriority {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);
    /** The parse threads' nice value (the writer keeps 0). */
    static final int NICE = 5;
    /**
     * The lowest priority (nice 19: 1/68 of a nice-0 thread's weight, 1/22 of a parse thread's): such a thread runs
     * when the others leave a core idle, which during the start is after it.
     */
    public static final int IDLE = 19;
    private static final int PRIO_PROCESS = 0;
    private static final MethodHandle SETPRIORITY = lookupSetpriority();

    private BackgroundPriority() {
    }

    private static MethodHandle lookupSetpriority() {
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> symbol = linker.defaultLookup().find("setpriority");
            return symbol.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("no setpriority: {}", e.toString());
            return null;
        }
    }

    /** Gives the calling thread nice value {@link #NICE}; false (and nothing changed) where that is not possible. */
    static boolean lowerCurrentThread() {
        return lowerCurrentThreadTo(NICE);
    }

    /** Gives the calling thread nice value {@link #IDLE}; false (and nothing changed) where that is not possible. */
    public static boolean lowerCurrentThreadToIdle() {
        return lowerCurrentThreadTo(IDLE);
    }

    private static boolean lowerCurrentThreadTo(int nice) {
        if (SETPRIORITY == null) {
            return false;
        }
        try {
            return (int) SETPRIORITY.invokeExact(PRIO_PROCESS, 0, nice) == 0;
        } catch (Throwable e) {
            LOG.debug("setpriority failed: {}", e.toString());
            return false;
        }
    }

    /** A pool of {@code parallelism} daemon workers named {@code name-N}, each at nice value {@link #NICE}. */
    static ForkJoinPool parsePool(String name, int parallelism) {
        AtomicInteger workers = new AtomicInteger();
        return new ForkJoinPool(parallelism, pool -> {
            ForkJoinWorkerThread worker = new ForkJoinWorkerThread(null, pool, true) {
                @Override
                protected void onStart() {
                    super.onStart();
                    lowerCurrentThread();
                }
            };
            worker.setName(name + "-" + workers.incrementAndGet());
            worker.setDaemon(true);
            return worker;
        }, null, false);
    }
}
