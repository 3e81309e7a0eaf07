package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.agent.HeapTrim.TrimPolicy;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private static final long MIN_GROWTH = TrimPolicy.DEFAULT_MIN_GROWTH;

    private static long threshold(long baseline) {
        return Math.max(MIN_GROWTH, baseline / 8);
    }

    @Property
    void nothingIsDueBeforeTheFirstTrim(@ForAll @Size(max = 20) List<@LongRange(min = 0, max = 1L << 40) Long> samples) {
        TrimPolicy policy = new TrimPolicy(MIN_GROWTH);
        for (long used : samples) {
            assertThat(policy.due(used)).isFalse();
        }
        assertThat(policy.baseline()).isEqualTo(-1);
    }

    @Property
    void lessGrowthThanTheThresholdIsNeverDue(@ForAll @LongRange(min = MIB, max = 4096 * MIB) long baseline,
                                              @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 999) Integer> permille) {
        TrimPolicy policy = new TrimPolicy(MIN_GROWTH);
        policy.trimmed(baseline);
        for (int p : permille) {
            long used = baseline + threshold(baseline) * p / 1000; // below the threshold, quiet or not
            assertThat(policy.due(used)).as("%d MiB grown on %d", (used - baseline) >> 20, baseline >> 20).isFalse();
        }
    }

    @Property
    void aQuietSampleAfterEnoughGrowthIsDue(@ForAll @LongRange(min = MIB, max = 4096 * MIB) long baseline,
                                           @ForAll @LongRange(min = 0, max = 64 * MIB) long beyond,
                                           @ForAll @LongRange(min = 0, max = TrimPolicy.QUIET_GROWTH - 1) long settling) {
        TrimPolicy policy = new TrimPolicy(MIN_GROWTH);
        policy.trimmed(baseline);
        long grown = baseline + threshold(baseline) + beyond;
        // A jump of at least QUIET_GROWTH is a burst being promoted: not due unless the heap doubled meanwhile.
        assertThat(policy.due(grown)).isEqualTo(grown >= 2 * baseline);
        assertThat(policy.due(grown + settling)).as("quiet after growing").isTrue();
    }

    @Property
    void steadyGrowthIsDueOnlyOnceTheHeapDoubled(@ForAll @LongRange(min = 16 * MIB, max = 1024 * MIB) long baseline,
                                                 @ForAll @LongRange(min = TrimPolicy.QUIET_GROWTH, max = 8 * MIB) long step) {
        TrimPolicy policy = new TrimPolicy(MIN_GROWTH);
        policy.trimmed(baseline);
        long used = baseline;
        while (true) {
            used += step;
            if (used >= 2 * baseline) {
                assertThat(policy.due(used)).as("doubled while busy").isTrue();
                return;
            }
            assertThat(policy.due(used)).as("%d MiB while busy on %d", used >> 20, baseline >> 20).isFalse();
        }
    }

    @Property
    void growthCountsFromTheLastTrim(@ForAll @LongRange(min = MIB, max = 1024 * MIB) long first,
                                     @ForAll @LongRange(min = MIB, max = 1024 * MIB) long second) {
        TrimPolicy policy = new TrimPolicy(MIN_GROWTH);
        policy.trimmed(first);
        policy.trimmed(second);
        assertThat(policy.baseline()).isEqualTo(second);
        assertThat(policy.due(second + threshold(second) - 1)).isFalse();
        assertThat(policy.due(second + threshold(second))).isTrue();
    }

    @Test
    void aMinimumGrowthThatIsNotPositiveIsRefused() {
        assertThatThrownBy(() -> new TrimPolicy(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minGrowth");
    }

    @Test
    void theFirstTrimWaitsForTheFirstSyncAndCollectsTheOldGeneration() throws Exception {
        AtomicBoolean synced = new AtomicBoolean();
        try (HeapTrim trim = HeapTrim.start(synced::get)) {
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
