package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Maps made outside any object ({@link BpfMap#create}) and maps reopened by their kernel id ({@link BpfMap#openById}). */
class StandaloneMapTest {
    /** BPF_F_INNER_MAP: what an inner map of a map of maps with tables of different sizes needs. */
    private static final int BPF_F_INNER_MAP = 0x1000;

    @BeforeEach
    void kernel() {
        Kernel.require();
    }

    @Test
    void aCreatedMapIsDescribedByTheKernelAndReopenedByIdWhileItLives() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(JAVA_INT);
            int id;
            try (BpfMap created = BpfMap.create(MapType.ARRAY, "sl_standalone", 4, 4, 7, BPF_F_INNER_MAP)) {
                assertThat(created.type()).isEqualTo(MapType.ARRAY);
                assertThat(created.name()).isEqualTo("sl_standalone");
                assertThat(created.maxEntries()).isEqualTo(7);
                assertThat(created.flags()).isEqualTo(BPF_F_INNER_MAP);
                key.set(JAVA_INT, 0, 6);
                value.set(JAVA_INT, 0, 4242);
                created.update(key, value, UpdateFlag.ANY);
                id = created.id();

                try (BpfMap reopened = BpfMap.openById(id).orElseThrow()) {
                    MemorySegment out = arena.allocate(JAVA_INT);
                    assertThat(reopened.lookup(key, out)).isTrue();
                    assertThat(out.get(JAVA_INT, 0)).isEqualTo(4242);
                    assertThat(reopened.maxEntries()).isEqualTo(7);
                }
            }
            // The last descriptor is closed: the kernel frees the map (after an RCU grace period) and forgets its id.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (BpfMap.openById(id).map(m -> {
                m.close();
                return true;
            }).orElse(false)) {
                assertThat(System.nanoTime()).as("map %d still present", id).isLessThan(deadline);
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void anImpossibleMapIsRefusedNamingTheCallAndTheMap() {
        assertThatThrownBy(() -> BpfMap.create(MapType.ARRAY, "sl_bad", 4, 0, 7, 0))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("bpf_map_create")
                .hasMessageContaining("sl_bad")
                .hasMessageContaining("value 0");
    }
}
