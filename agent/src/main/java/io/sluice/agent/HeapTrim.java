package io.sluice.agent;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the agent's free heap back to the kernel with a full collection: once when the first sync has been flushed,
 * then whenever {@link TrimPolicy} says the old generation grew enough (see there): when the writer has been idle for
 * a while, or, however busy it is, at a ceiling. The serial collector only collects the old generation when it cannot
 * grow any more (at -Xmx, gigabytes here), so without this every page that promoted garbage ever reached stays
 * resident: the first sync's parse garbage, and more with each burst of changes. A full collection compacts the old
 * generation, and with the launcher's heap flags ({@code -Xms16m}, so the heap may shrink that far;
 * {@code MaxHeapFreeRatio}; {@code -XX:-ShrinkHeapInSteps}; {@code MarkSweepDeadRatio=0}, else up to 5 % of the old
 * generation's capacity stays as dead objects in place) it uncommits the free tail.
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
    /** The writer counts as idle once it has taken no event for this long (one sample interval). */
    static final long IDLE_NANOS = SAMPLE_NANOS;

    private final BooleanSupplier firstSyncFlushed;
    private final LongSupplier lastEventNanos;
    private final List<MemoryPoolMXBean> oldGeneration;
    private final TrimPolicy policy = new TrimPolicy(TrimPolicy.DEFAULT_MIN_GROWTH, TrimPolicy.DEFAULT_BUSY_CEILING);
    private final Thread thread;
    private volatile boolean firstSyncTrimmed;
    private volatile boolean closed;

    private HeapTrim(BooleanSupplier firstSyncFlushed, LongSupplier lastEventNanos) {
        this.firstSyncFlushed = firstSyncFlushed;
        this.lastEventNanos = lastEventNanos;
        // The heap pools with a usage threshold are the old generation's (eden and survivors have none).
        this.oldGeneration = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.isUsageThresholdSupported())
                .toList();
        this.thread = Thread.ofPlatform().name("sluice-heap-trim").daemon().unstarted(this::run);
    }

    /**
     * Starts the trim thread; {@code firstSyncFlushed} (any thread) says when the first sync's trim is due,
     * {@code lastEventNanos} (any thread) when the writer last took an event ({@link System#nanoTime()}).
     */
    static HeapTrim start(BooleanSupplier firstSyncFlushed, LongSupplier lastEventNanos) {
        HeapTrim trim = new HeapTrim(firstSyncFlushed, lastEventNanos);
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
                boolean writerIdle = System.nanoTime() - lastEventNanos.getAsLong() >= IDLE_NANOS;
                if (!closed && policy.due(used, writerIdle)) {
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
     * When a trim is due, from the old generation's usage sampled at a steady interval: once it has grown by at least
     * {@code max(minGrowth, baseline / 8)} since the last trim and the writer is idle (took no event for a while: no
     * change waits behind the pause), or, however busy the writer is, once it has grown by {@code busyCeiling} or
     * doubled, whichever comes first (never below the first threshold). Doubling is Go's default GOGC=100: the heap
     * stays within twice what is live, where the serial collector alone would let it grow to -Xmx.
     *
     * <p>Why not trim sooner while busy: a full collection stops the writer for as long as marking and compacting the
     * live heap takes (~200 ms at 10,000 Services), and every change arriving meanwhile waits, then queues behind the
     * backlog. The old generation's own growth is no sign of idleness: once a change promoted little (the manifest
     * source shares an EndpointSlice's unmoved endpoints with its previous version), a sustained churn of 1,000 changes
     * per second grew it by less per sample than a burst did, and a trim fired every few seconds into the churn.
     * Not thread-safe: the trim thread's.
     */
    static final class TrimPolicy {
        static final long DEFAULT_MIN_GROWTH = 8L << 20;
        /**
         * Most the old generation grows under a busy writer before a trim: at 10,000 Services (VmRSS ~165 MiB
         * synced) this keeps the agent under its 200 MiB target however long a churn lasts.
         */
        static final long DEFAULT_BUSY_CEILING = 32L << 20;
        private final long minGrowth;
        private final long busyCeiling;
        private long baseline = -1;

        TrimPolicy(long minGrowth, long busyCeiling) {
            if (minGrowth <= 0) {
                throw new IllegalArgumentException("heap trim: minGrowth must be positive, was " + minGrowth);
            }
            if (busyCeiling <= 0) {
                throw new IllegalArgumentException("heap trim: busyCeiling must be positive, was " + busyCeiling);
            }
            this.minGrowth = minGrowth;
            this.busyCeiling = busyCeiling;
        }

        /** Records a trim that left {@code usedAfter} bytes in the old generation: growth counts from there. */
        void trimmed(long usedAfter) {
            baseline = usedAfter;
        }

        /** The usage the last trim left, or -1 before the first. */
        long baseline() {
            return baseline;
        }

        /** Whether a trim is due now, at {@code used} bytes in the old generation, the writer idle or not. */
        boolean due(long used, boolean writerIdle) {
            if (baseline < 0) {
                return false;
            }
            long grown = used - baseline;
            long threshold = Math.max(minGrowth, baseline / 8);
            return grown >= threshold && (writerIdle || grown >= Math.max(threshold, Math.min(baseline, busyCeiling)));
        }
    }
}
