package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BpfMapTest {
    private BpfObject object;
    private Arena arena;

    @BeforeEach
    void load() {
        Kernel.require();
        object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o");
        object.load();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        if (arena != null) {
            arena.close();
        }
        if (object != null) {
            object.close();
        }
    }

    private MemorySegment u32(int v) {
        MemorySegment s = arena.allocate(JAVA_INT);
        s.set(JAVA_INT, 0, v);
        return s;
    }

    private MemorySegment u64(long v) {
        MemorySegment s = arena.allocate(JAVA_LONG);
        s.set(JAVA_LONG, 0, v);
        return s;
    }

    @Test
    void describesTheMapFromTheObject() {
        BpfMap hash = object.map("selftest_hash");

        assertThat(hash.type()).isEqualTo(MapType.HASH);
        assertThat(hash.keySize()).isEqualTo(4);
        assertThat(hash.valueSize()).isEqualTo(8);
        assertThat(hash.valueBufferSize()).isEqualTo(8);
        assertThat(hash.maxEntries()).isEqualTo(1024);
        assertThat(hash.fd()).isPositive();
        assertThat(object.maps()).extracting(BpfMap::name)
                .contains("selftest_counts", "selftest_events", "selftest_hash", "selftest_percpu", "selftest_pinned");
        assertThat(object.map("selftest_events").type()).isEqualTo(MapType.RINGBUF);
    }

    @Test
    void updateLookupDeleteOnAHashMap() {
        BpfMap hash = object.map("selftest_hash");
        MemorySegment value = arena.allocate(JAVA_LONG);

        assertThat(hash.lookup(u32(7), value)).isFalse();
        hash.update(u32(7), u64(700), UpdateFlag.ANY);
        assertThat(hash.lookup(u32(7), value)).isTrue();
        assertThat(value.get(JAVA_LONG, 0)).isEqualTo(700);

        hash.update(u32(7), u64(701), UpdateFlag.EXIST);
        assertThat(hash.lookup(u32(7), value)).isTrue();
        assertThat(value.get(JAVA_LONG, 0)).isEqualTo(701);

        assertThat(hash.delete(u32(7))).isTrue();
        assertThat(hash.delete(u32(7))).isFalse();
        assertThat(hash.lookup(u32(7), value)).isFalse();
    }

    @Test
    void updateFlagsAreEnforcedByTheKernel() {
        BpfMap hash = object.map("selftest_hash");
        hash.update(u32(1), u64(10), UpdateFlag.NOEXIST);

        assertThatThrownBy(() -> hash.update(u32(1), u64(11), UpdateFlag.NOEXIST))
                .isInstanceOfSatisfying(BpfException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("EEXIST");
                    assertThat(e.call()).isEqualTo("bpf_map_update_elem");
                    assertThat(e.getMessage()).contains("selftest_hash").contains("EEXIST");
                });
        assertThatThrownBy(() -> hash.update(u32(2), u64(20), UpdateFlag.EXIST))
                .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void aFullHashMapThrowsMapFullException() {
        BpfMap small = object.map("selftest_pinned");
        for (int i = 0; i < small.maxEntries(); i++) {
            small.update(u32(i), u64(i), UpdateFlag.NOEXIST);
        }

        assertThatThrownBy(() -> small.update(u32(small.maxEntries()), u64(0), UpdateFlag.ANY))
                .isInstanceOf(MapFullException.class)
                .hasMessageContaining("selftest_pinned").hasMessageContaining("E2BIG").hasMessageContaining("full");
        // Replacing an existing key needs no room.
        small.update(u32(3), u64(33), UpdateFlag.EXIST);
    }

    @Test
    void anArrayIndexBeyondMaxEntriesIsNotReportedAsAFullMap() {
        BpfMap counts = object.map("selftest_counts");

        assertThatThrownBy(() -> counts.update(u32(counts.maxEntries()), u64(1), UpdateFlag.ANY))
                .isInstanceOf(BpfException.class).isNotInstanceOf(MapFullException.class)
                .hasMessageContaining("beyond max_entries");
    }

    @Test
    void keysAndValuesOfTheWrongSizeAreRefusedBeforeAnySyscall() {
        // The object is opened but never loaded: the map does not exist in the kernel, so a size error that
        // reached a syscall would surface as "not loaded" instead.
        try (BpfObject unloaded = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            BpfMap hash = unloaded.map("selftest_hash");
            MemorySegment shortKey = arena.allocate(2);
            MemorySegment longValue = arena.allocate(16);

            assertThatThrownBy(() -> hash.lookup(shortKey, arena.allocate(8)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("selftest_hash").hasMessageContaining("key must be 4 bytes, got 2");
            assertThatThrownBy(() -> hash.update(arena.allocate(4), longValue, UpdateFlag.ANY))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("selftest_hash").hasMessageContaining("value must be 8 bytes, got 16");
            assertThatThrownBy(() -> hash.delete(MemorySegment.ofArray(new byte[4])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("native");
            assertThatThrownBy(() -> hash.updateBatch(arena.allocate(4 * 3), arena.allocate(8 * 2), 3, UpdateFlag.ANY))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("values segment of 16 bytes");
            assertThatThrownBy(() -> hash.lookup(arena.allocate(4), arena.allocate(8)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not loaded");
        }
    }

    @Test
    void iterationVisitsEveryKeyOnce() {
        BpfMap hash = object.map("selftest_hash");
        Map<Integer, Long> expected = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            hash.update(u32(i * 3), u64(i * 1000L), UpdateFlag.ANY);
            expected.put(i * 3, i * 1000L);
        }
        Map<Integer, Long> seen = new HashMap<>();

        hash.forEach((key, value) -> assertThat(seen.put(key.get(JAVA_INT, 0), value.get(JAVA_LONG, 0))).isNull());

        assertThat(seen).isEqualTo(expected);
        List<Integer> keys = new ArrayList<>();
        hash.forEachKey(key -> keys.add(key.get(JAVA_INT, 0)));
        assertThat(keys).containsExactlyInAnyOrderElementsOf(expected.keySet());
        MemorySegment next = arena.allocate(JAVA_INT);
        assertThat(hash.nextKey(null, next)).isTrue();
        assertThat(expected).containsKey(next.get(JAVA_INT, 0));
    }

    @Test
    void batchUpdateLookupAndDelete() {
        BpfMap hash = object.map("selftest_hash");
        int n = 500;
        MemorySegment keys = arena.allocate(JAVA_INT, n);
        MemorySegment values = arena.allocate(JAVA_LONG, n);
        for (int i = 0; i < n; i++) {
            keys.setAtIndex(JAVA_INT, i, 10_000 + i);
            values.setAtIndex(JAVA_LONG, i, 7L * i);
        }

        hash.updateBatch(keys, values, n, UpdateFlag.ANY);

        Map<Integer, Long> read = new HashMap<>();
        BpfMap.BatchCursor cursor = hash.batchCursor();
        MemorySegment keysOut = arena.allocate(JAVA_INT, 64);
        MemorySegment valuesOut = arena.allocate(JAVA_LONG, 64);
        int calls = 0;
        while (!cursor.isDone()) {
            int count = hash.lookupBatch(cursor, keysOut, valuesOut, 64);
            for (int i = 0; i < count; i++) {
                assertThat(read.put(keysOut.getAtIndex(JAVA_INT, i), valuesOut.getAtIndex(JAVA_LONG, i))).isNull();
            }
            calls++;
        }
        assertThat(calls).isGreaterThan(1);
        assertThat(read).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(read).containsEntry(10_000 + i, 7L * i);
        }

        assertThat(hash.deleteBatch(keys, 200)).isEqualTo(200);
        MemorySegment value = arena.allocate(JAVA_LONG);
        assertThat(hash.lookup(u32(10_000), value)).isFalse();
        assertThat(hash.lookup(u32(10_200), value)).isTrue();
        // Deleting again stops at the first key that is gone.
        assertThat(hash.deleteBatch(keys, 200)).isZero();
    }

    @Test
    void perCpuValuesHoldOneSlotPerPossibleCpu() {
        BpfMap percpu = object.map("selftest_percpu");
        int cpus = (int) (percpu.valueBufferSize() / 8);
        assertThat(percpu.type()).isEqualTo(MapType.PERCPU_ARRAY);
        assertThat(cpus).isEqualTo(LibBpf.possibleCpus()).isPositive();
        MemorySegment values = arena.allocate(JAVA_LONG, cpus);
        for (int cpu = 0; cpu < cpus; cpu++) {
            values.setAtIndex(JAVA_LONG, cpu, 100L + cpu);
        }

        percpu.update(u32(2), values, UpdateFlag.ANY);

        MemorySegment out = arena.allocate(JAVA_LONG, cpus);
        assertThat(percpu.lookup(u32(2), out)).isTrue();
        for (int cpu = 0; cpu < cpus; cpu++) {
            assertThat(out.getAtIndex(JAVA_LONG, cpu)).isEqualTo(100L + cpu);
        }
        assertThatThrownBy(() -> percpu.lookup(u32(2), arena.allocate(JAVA_LONG)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("per-CPU");
    }

    @Test
    void perCpuBatchReadReturnsEverySlot() {
        BpfMap percpu = object.map("selftest_percpu");
        long valueBytes = percpu.valueBufferSize();
        MemorySegment values = arena.allocate(valueBytes);
        values.setAtIndex(JAVA_LONG, 0, 5);
        percpu.update(u32(1), values, UpdateFlag.ANY);
        MemorySegment keysOut = arena.allocate(JAVA_INT, 4);
        MemorySegment valuesOut = arena.allocate(valueBytes * 4);

        BpfMap.BatchCursor cursor = percpu.batchCursor();
        int total = 0;
        while (!cursor.isDone()) {
            total += percpu.lookupBatch(cursor, keysOut, valuesOut, 4);
        }

        assertThat(total).isEqualTo(4);
        assertThat(valuesOut.get(JAVA_LONG, valueBytes)).isEqualTo(5);
    }

    @Test
    void mapsOfAClosedObjectCannotBeUsed() {
        BpfMap hash = object.map("selftest_hash");
        object.close();

        assertThatThrownBy(() -> hash.lookup(u32(1), arena.allocate(JAVA_LONG)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
