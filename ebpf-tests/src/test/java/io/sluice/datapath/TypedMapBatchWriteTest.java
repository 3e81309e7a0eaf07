package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loader.BpfMap;
import io.sluice.loader.MapType;
import io.sluice.loader.UpdateFlag;
import io.sluice.maps.Codec;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TypedMap#putAll} on real maps: each entry lands under its own key (the batch is packed from the map's reused
 * segments), and bytes the codec does not write go to the kernel as zeros whatever a lookup left in those segments.
 */
@KernelTest
class TypedMapBatchWriteTest {
    @Test
    void everyEntryOfABatchLandsUnderItsKeyBetweenLookupsOfOthers() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        try (BpfMap map = BpfMap.create(MapType.HASH, "put_test", 4, 8, 4_096, 0);
             TypedMap<Integer, Long> typed = new TypedMap<>(map, Codec.UINT32, Codec.UINT64)) {
            Map<Integer, Long> expected = new HashMap<>();
            for (int round = 0; round < 20; round++) {
                Map<Integer, Long> batch = new HashMap<>();
                for (int i = random.nextInt(300); i > 0; i--) {
                    batch.put(random.nextInt(2_000), random.nextLong());
                }
                if (!expected.isEmpty()) {
                    Integer looked = expected.keySet().iterator().next();
                    assertThat(typed.get(looked)).as("seed %d", seed).contains(expected.get(looked));
                }

                typed.putAll(batch);

                expected.putAll(batch);
                assertThat(typed.entries()).as("seed %d", seed).isEqualTo(expected);
            }
        }
    }

    @Test
    void theOtherCpusSlotsOfAPerCpuValueAreWrittenAsZerosAfterALookupFilledThem() {
        try (BpfMap map = BpfMap.create(MapType.PERCPU_HASH, "put_pcpu", 4, 8, 16, 0);
             TypedMap<Integer, Long> typed = new TypedMap<>(map, Codec.UINT32, Codec.UINT64);
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4, 8);
            MemorySegment value = arena.allocate(map.valueBufferSize(), 8);
            key.set(ValueLayout.JAVA_INT, 0, 1);
            value.fill((byte) 0x5a); // every CPU's slot
            map.update(key, value, UpdateFlag.ANY);
            assertThat(typed.get(1)).isPresent(); // leaves every CPU's slot of key 1 in the typed map's value segment

            typed.putAll(Map.of(2, 7L));

            key.set(ValueLayout.JAVA_INT, 0, 2);
            assertThat(map.lookup(key, value)).isTrue();
            assertThat(value.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(7L);
            for (long offset = 8; offset < map.valueBufferSize(); offset += 8) {
                assertThat(value.get(ValueLayout.JAVA_LONG, offset)).as("slot at byte %d", offset).isZero();
            }
        }
    }
}
