package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loader.BpfMap;
import io.sluice.loader.MapType;
import io.sluice.maps.Codec;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TypedMap#removeAll} on a real hash map (the batch delete the flow sweep shares): the kernel stops a batch
 * at the first absent key, so keys absent anywhere in the list (first, last, several in a row) are stepped over, and
 * exactly the present ones go and are counted.
 */
@KernelTest
class TypedMapBatchDeleteTest {
    @Test
    void absentKeysAnywhereInTheListAreSteppedOverAndOnlyPresentOnesCounted() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        try (BpfMap map = BpfMap.create(MapType.HASH, "del_test", 4, 4, 4_096, 0);
             TypedMap<Integer, Integer> typed = new TypedMap<>(map, Codec.UINT32, Codec.UINT32)) {
            for (int round = 0; round < 30; round++) {
                Map<Integer, Integer> present = new HashMap<>();
                for (int i = random.nextInt(300); i > 0; i--) {
                    present.put(1 + random.nextInt(1_000), round);
                }
                typed.putAll(present);
                List<Integer> toRemove = new ArrayList<>();
                int expected = 0;
                for (int key = 1; key <= 1_000; key++) {
                    if (random.nextInt(3) == 0) {
                        toRemove.add(key); // present or not, in key order: absent keys fall first, last and in runs
                        expected += present.containsKey(key) ? 1 : 0;
                    }
                }

                int removed = typed.removeAll(toRemove);

                Map<Integer, Integer> kept = new HashMap<>(present);
                kept.keySet().removeAll(toRemove);
                assertThat(removed).as("removed (seed %d)", seed).isEqualTo(expected);
                assertThat(typed.entries()).as("kept (seed %d)", seed).isEqualTo(kept);
                typed.removeAll(new ArrayList<>(kept.keySet()));
            }
        }
    }
}
