package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Any sequence of allocations, releases and reopenings of the file keeps every key's id stable while it holds one,
 * ids unique, and each new id the lowest free one (as a model that just remembers the keys says), also when the
 * ids run out.
 */
class StableIdAllocatorPropertyTest {
    private static final int MAX_ID = 8;
    private static final int KEYS = 12;

    @Property(tries = 25)
    void idsStayStableUniqueAndLowestFreeAcrossReleasesAndReopens(
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 8 * KEYS - 1) Integer> operations) throws IOException {
        Path dir = Files.createTempDirectory("sluice-ids-property-");
        Path file = dir.resolve("ids.dat");
        Map<String, Integer> model = new HashMap<>();
        StableIdAllocator ids = StableIdAllocator.open(file, MAX_ID);
        try {
            for (int op : operations) {
                String key = "backend:10.0.0." + (op / 8) + ":8080/TCP";
                switch (op % 8) {
                    case 5, 6 -> assertThat(ids.release(key)).as("release " + key)
                            .isEqualTo(model.containsKey(key) ? model.remove(key) : 0);
                    case 7 -> {
                        ids.close();
                        ids = StableIdAllocator.open(file, MAX_ID);
                    }
                    default -> {
                        Integer expected = model.get(key);
                        if (expected == null) {
                            expected = lowestFree(model);
                        }
                        if (expected > MAX_ID) {
                            StableIdAllocator full = ids;
                            assertThatThrownBy(() -> full.idOf(key)).isInstanceOf(IdSpaceExhaustedException.class);
                        } else {
                            assertThat(ids.idOf(key)).as("id of " + key).isEqualTo(expected);
                            model.put(key, expected);
                        }
                    }
                }
                Map<String, Integer> held = new HashMap<>();
                ids.forEach(held::put);
                assertThat(held).isEqualTo(model);
                assertThat(held.values()).doesNotHaveDuplicates().allSatisfy(id -> assertThat(id).isBetween(1, MAX_ID));
            }
        } finally {
            ids.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static int lowestFree(Map<String, Integer> model) {
        int id = 1;
        while (model.containsValue(id)) {
            id++;
        }
        return id;
    }
}
