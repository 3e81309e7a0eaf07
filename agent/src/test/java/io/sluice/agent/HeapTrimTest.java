package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.agent.HeapTrim.TrimPolicy;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** When the agent gives its heap back: the policy on sampled usage, and the thread's first trim. */
class HeapTrimTest {
    private static final long MIB = 1L << 20;
    /** Where {@link #promote} drops its garbage, so that the allocation is not optimised away. */
    private static volatile byte[] garbage;
    private static final long MIN_GROWTH = TrimPolicy.DEFAULT_MIN_GROWTH;

    private static long threshold(long baseline) {
        return Math.max(MIN_GROWTH, baseline / 8);
    }

    private static final long CEILING = TrimPolicy.DEFAULT_BUSY_CEILING;

    private static TrimPolicy policy() {
        return new TrimPolicy(MIN_GROWTH, CEILING);
    }

    @Property
    void nothingIsDueBeforeTheFirstTrim(@ForAll @Size(max = 20) List<@LongRange(min = 0, max = 1L << 40) Long> samples,
                                        @ForAll boolean writerIdle) {
        TrimPolicy policy = policy();
        for (long used : samples) {
            assertThat(policy.due(used, writerIdle)).isFalse();
        }
        assertThat(policy.baseline()).isEqualTo(-1);
    }

    @Property
    void lessGrowthThanTheThresholdIsNeverDue(@ForAll @LongRange(min = MIB, max = 4096 * MIB) long baseline,
                                              @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 999) Integer> permille,
                                              @ForAll boolean writerIdle) {
        TrimPolicy policy = policy();
        policy.trimmed(baseline);
        for (int p : permille) {
            long used = baseline + threshold(baseline) * p / 1000;
            assertThat(policy.due(used, writerIdle)).as("%d MiB grown on %d", (used - baseline) >> 20, baseline >> 20).isFalse();
        }
    }

    @Property
    void enoughGrowthIsDueOnceTheWriterIsIdle(@ForAll @LongRange(min = MIB, max = 4096 * MIB) long baseline,
                                             @ForAll @LongRange(min = 0, max = 4096 * MIB) long beyond) {
        TrimPolicy policy = policy();
        policy.trimmed(baseline);
        assertThat(policy.due(baseline + threshold(baseline) + beyond, true)).isTrue();
    }

    @Property
    void aBusyWriterIsTrimmedOnlyAtTheCeilingOrOnceTheHeapDoubled(
            @ForAll @LongRange(min = 16 * MIB, max = 1024 * MIB) long baseline,
            @ForAll @LongRange(min = 64 << 10, max = 8 * MIB) long step) {
        TrimPolicy policy = policy();
        policy.trimmed(baseline);
        long used = baseline;
        while (true) {
            used += step;
            long grown = used - baseline;
            if (grown >= threshold(baseline) && (grown >= CEILING || used >= 2 * baseline)) {
                assertThat(policy.due(used, false)).as("%d MiB grown on %d while busy", grown >> 20, baseline >> 20).isTrue();
                assertThat(grown).as("not before the ceiling or doubling").isLessThan(Math.max(threshold(baseline),
                        Math.min(CEILING, baseline)) + step);
                return;
            }
            assertThat(policy.due(used, false)).as("%d MiB grown on %d while busy", grown >> 20, baseline >> 20).isFalse();
        }
    }

    @Property
    void growthCountsFromTheLastTrim(@ForAll @LongRange(min = MIB, max = 1024 * MIB) long first,
                                     @ForAll @LongRange(min = MIB, max = 1024 * MIB) long second) {
        TrimPolicy policy = policy();
        policy.trimmed(first);
        policy.trimmed(second);
        assertThat(policy.baseline()).isEqualTo(second);
        assertThat(policy.due(second + threshold(second) - 1, true)).isFalse();
        assertThat(policy.due(second + threshold(second), true)).isTrue();
    }

    @Test
    void limitsThatAreNotPositiveAreRefused() {
        assertThatThrownBy(() -> new TrimPolicy(0, CEILING)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minGrowth");
        assertThatThrownBy(() -> new TrimPolicy(MIN_GROWTH, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("busyCeiling");
    }

    @Test
    void aBusyWritersGrowthBelowTheCeilingWaitsUntilTheWriterIsIdle() throws Exception {
        // A baseline above the minimum growth, so that growing by more than that is below doubling and the ceiling.
        List<byte[]> live = retain(24);
        AtomicBoolean busy = new AtomicBoolean(true);
        LongSupplier lastEvent = () -> busy.get() ? System.nanoTime() : 0;
        try (HeapTrim trim = HeapTrim.start(() -> true, lastEvent)) {
            awaitFirstTrim(trim);
            live.addAll(retain(14)); // grown by > 8 MiB and baseline / 8, < 24 MiB and the ceiling
            promote();
            long before = oldGenerationCollections();
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(4 * HeapTrim.SAMPLE_NANOS));
            assertThat(oldGenerationCollections()).as("no trim while the writer is busy").isEqualTo(before);
            busy.set(false);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (oldGenerationCollections() == before && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(oldGenerationCollections()).as("a trim once the writer is idle").isGreaterThan(before);
        }
        assertThat(live).hasSize(38);
    }

    private static List<byte[]> retain(int mib) {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < mib; i++) {
            chunks.add(new byte[(int) MIB]);
        }
        return chunks;
    }

    /**
     * Young collections until what is retained now has reached the old generation. The garbage comes in small arrays:
     * the launcher's flags promote whatever is live at a young collection ({@code MaxTenuringThreshold=0}), and a
     * mebibyte being allocated there each time would add its own growth to the old generation's.
     */
    private static void promote() {
        for (int i = 0; i < 64 * 64; i++) {
            garbage = new byte[(int) MIB / 64];
        }
    }

    private static void awaitFirstTrim(HeapTrim trim) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!trim.firstSyncTrimmed() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(trim.firstSyncTrimmed()).isTrue();
    }

    @Test
    void theFirstTrimWaitsForTheFirstSyncAndCollectsTheOldGeneration() throws Exception {
        AtomicBoolean synced = new AtomicBoolean();
        try (HeapTrim trim = HeapTrim.start(synced::get, System::nanoTime)) {
            Thread.sleep(50);
            assertThat(trim.firstSyncTrimmed()).as("no trim before the first sync").isFalse();
            long before = oldGenerationCollections();
            synced.set(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!trim.firstSyncTrimmed() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(trim.firstSyncTrimmed()).isTrue();
            assertThat(oldGenerationCollections()).as("a full collection ran").isGreaterThan(before);
        }
    }

    /** Collections by the collectors that collect the old generation (Serial: MarkSweepCompact). */
    private static long oldGenerationCollections() {
        Set<String> oldPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.isUsageThresholdSupported())
                .map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
        long count = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (List.of(gc.getMemoryPoolNames()).stream().anyMatch(oldPools::contains)) {
                count += gc.getCollectionCount();
            }
        }
        return count;
    }
}
