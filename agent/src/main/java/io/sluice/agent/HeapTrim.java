package io.sluice.agent;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the agent's free heap back to the kernel with a full collection: once when the first sync has been flushed,
 * then whenever {@link TrimPolicy} says the old generation grew enough (see there). The serial collector only
 * collects the old generation when it cannot grow any more (at -Xmx, gigabytes here), so without this every page
 * that promoted garbage ever reached stays resident: the first sync's parse garbage, and more with each burst of
 * changes. A full collection compacts the old generation, and with the launcher's heap flags ({@code -Xms16m}, so the
 * heap may shrink that far; {@code MaxHeapFreeRatio}; {@code -XX:-ShrinkHeapInSteps}; {@code MarkSweepDeadRatio=0},
 * else up to 5 % of the old generation's capacity stays as dead objects in place) it uncommits the free tail.
 *
 * <p>One daemon thread, which only reads the memory pools' usage between collections; the collection itself stops
 * every thread, the writer included, for as long as marking and compacting the live heap takes.
 */
final class HeapTrim implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeapTrim.class);
    /** How often the old generation's usage is sampled once the first sync is trimmed. */
    static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How often the writer's first sync is looked for: its trim holds readiness back, so not much later. */
    private static final long SYNC_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final BooleanSupplier firstSyncFlushed;
    private final List<MemoryPoolMXBean> oldGeneration;
    private final TrimPolicy policy = new TrimPolicy(TrimPolicy.DEFAULT_MIN_GROWTH);
    private final Thread thread;
    private volatile boolean firstSyncTrimmed;
    private volatile boolean closed;

    private HeapTrim(BooleanSupplier firstSyncFlushed) {
        this.firstSyncFlushed = firstSyncFlushed;
        // The heap pools with a usage threshold are the old generation's (eden and survivors have none).
        this.oldGeneration = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.isUsageThresholdSupported())
                .toList();
        this.thread = Thread.ofPlatform().name("sluice-heap-trim").daemon().unstarted(this::run);
    }

    /** Starts the trim thread; {@code firstSyncFlushed} (any thread) says when the first sync's trim is due. */
    static HeapTrim start(BooleanSupplier firstSyncFlushed) {
        HeapTrim trim = new HeapTrim(firstSyncFlushed);
        trim.thread.start();
        return trim;
    }

    /** Whether the full collection after the first sync has finished (readiness waits for it). Any thread. */
    boolean firstSyncTrimmed() {
        return firstSyncTrimmed;
    }

    private void run() {
        try {
            while (!closed && !firstSyncFlushed.getAsBoolean()) {
                LockSupport.parkNanos(SYNC_POLL_NANOS);
            }
            if (closed) {
                return;
            }
            policy.trimmed(trim("first sync flushed"));
            firstSyncTrimmed = true;
            while (!closed) {
                LockSupport.parkNanos(SAMPLE_NANOS);
                long used = oldGenerationUsed();
                if (!closed && policy.due(used)) {
                    policy.trimmed(trim("old generation grew from %d to %d MiB".formatted(policy.baseline() >> 20, used >> 20)));
                }
            }
        } catch (RuntimeException e) {
            // Never worth more than a log line: without trims the agent only holds more memory.
            LOG.warn("heap trim stopped: {}", e.toString());
        } finally {
            firstSyncTrimmed = true; // readiness never waits for a trim that will not come
        }
    }

    /** One full collection; returns the old generation's usage after it. */
    private long trim(String why) {
        long start = System.nanoTime();
        System.gc();
        long used = oldGenerationUsed();
        LOG.debug("heap trim ({}): old generation {} MiB after {} ms", why, used >> 20,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return used;
    }

    private long oldGenerationUsed() {
        long used = 0;
        for (MemoryPoolMXBean pool : oldGeneration) {
            used += pool.getUsage().getUsed();
        }
        return used;
    }

    /** Stops the thread (a collection under way finishes first). */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    /**
     * When a trim is due, from the old generation's usage sampled at a steady interval: once it has grown by at
     * least {@code max(minGrowth, baseline / 8)} since the last trim and stopped growing (a sample less than
     * {@link #QUIET_GROWTH} above the one before: no burst of changes is being promoted, so the pause delays
     * nothing), or, however busy the agent is, once it has doubled (like Go's default GOGC=100: the heap stays within
     * twice what is live, where the serial collector alone would let it grow to -Xmx). Not thread-safe: the trim
     * thread's.
     */
    static final class TrimPolicy {
        static final long DEFAULT_MIN_GROWTH = 8L << 20;
        static final long QUIET_GROWTH = 256L << 10;
        private final long minGrowth;
        private long baseline = -1;
        private long previous;

        TrimPolicy(long minGrowth) {
            if (minGrowth <= 0) {
                throw new IllegalArgumentException("heap trim: minGrowth must be positive, was " + minGrowth);
            }
            this.minGrowth = minGrowth;
        }

        /** Records a trim that left {@code usedAfter} bytes in the old generation: growth counts from there. */
        void trimmed(long usedAfter) {
            baseline = usedAfter;
            previous = usedAfter;
        }

        /** The usage the last trim left, or -1 before the first. */
        long baseline() {
            return baseline;
        }

        /** Takes the next sample; true if a trim is due now. */
        boolean due(long used) {
            if (baseline < 0) {
                return false;
            }
            boolean quiet = used - previous < QUIET_GROWTH;
            previous = used;
            long grown = used - baseline;
            return grown >= Math.max(minGrowth, baseline / 8) && (quiet || used >= 2 * baseline);
        }
    }
}
