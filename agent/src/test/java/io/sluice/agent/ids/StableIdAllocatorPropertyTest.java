package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Any sequence of allocations, releases (by key or by id), persists and reopenings keeps every key's id stable while
 * it holds one, ids unique, and each new id the lowest free one (as a model that just remembers the keys says), also
 * when the ids run out; and whatever the file and the pinned maps hold, a restore leaves every id of the maps with
 * the maps' key, keys unique, and never hands out an id a map holds.
 */
class StableIdAllocatorPropertyTest {
    private static final int MAX_ID = 8;
    private static final int KEYS = 12;

    private static long key(int n) {
        return StableIdAllocatorTest.backend("10.0.0." + n, 8080);
    }

    @Property(tries = 25)
    void idsStayStableUniqueAndLowestFreeAcrossReleasesAndReopens(
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 8 * KEYS - 1) Integer> operations) throws IOException {
        Path dir = Files.createTempDirectory("sluice-ids-property-");
        Path file = dir.resolve("ids.dat");
        Map<Long, Integer> model = new HashMap<>();
        StableIdAllocator ids = StableIdAllocator.open(file, MAX_ID, ServiceIds.BACKENDS, null);
        try {
            for (int op : operations) {
                long key = key(op / 8);
                switch (op % 8) {
                    case 4 -> assertThat(ids.release(key)).as("release").isEqualTo(model.containsKey(key) ? model.remove(key) : 0);
                    case 5 -> {
                        int id = 1 + op / 8 % MAX_ID;
                        long holder = model.entrySet().stream().filter(e -> e.getValue() == id).map(Map.Entry::getKey)
                                .findFirst().orElse(0L);
                        assertThat(ids.releaseId(id)).as("release id " + id).isEqualTo(holder);
                        model.remove(holder);
                    }
                    case 6 -> ids.persist();
                    case 7 -> {
                        ids.close();
                        ids = StableIdAllocator.open(file, MAX_ID, ServiceIds.BACKENDS, null);
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
                assertThat(held(ids)).isEqualTo(model);
                for (Map.Entry<Long, Integer> e : model.entrySet()) {
                    assertThat(ids.find(e.getKey())).isEqualTo(e.getValue());
                }
            }
        } finally {
            ids.close();
            deleteTree(dir);
        }
    }

    @Property(tries = 40)
    void aRestoreKeepsTheMapsIdsAndNeverHandsThemOut(
            @ForAll @Size(max = 16) List<@IntRange(min = 0, max = 2 * KEYS - 1) Integer> allocated,
            @ForAll @Size(max = MAX_ID) List<@IntRange(min = 0, max = KEYS - 1) Integer> mapKeys,
            @ForAll @Size(max = MAX_ID) List<@IntRange(min = 1, max = MAX_ID) Integer> mapIds) throws IOException {
        Path dir = Files.createTempDirectory("sluice-ids-restore-");
        Path file = dir.resolve("ids.dat");
        // What the pinned maps hold: distinct ids, keys possibly twice.
        Map<Integer, Long> maps = new HashMap<>();
        for (int i = 0; i < Math.min(mapKeys.size(), mapIds.size()); i++) {
            maps.putIfAbsent(mapIds.get(i), key(mapKeys.get(i)));
        }
        int[] ids = maps.keySet().stream().mapToInt(Integer::intValue).toArray();
        long[] keys = maps.values().stream().mapToLong(Long::longValue).toArray();
        try {
            try (StableIdAllocator before = StableIdAllocator.open(file, MAX_ID, ServiceIds.BACKENDS, null)) {
                for (int k : allocated) { // the file: allocations (k < KEYS) and releases
                    if (k >= KEYS) {
                        before.release(key(k - KEYS));
                    } else if (before.find(key(k)) != 0 || before.size() < MAX_ID) {
                        before.idOf(key(k));
                    }
                }
            }
            Map<Long, Integer> afterRestore;
            try (StableIdAllocator restored = StableIdAllocator.open(file, MAX_ID, ServiceIds.BACKENDS, null)) {
                restored.restore(ids, keys);
                maps.forEach((id, key) -> assertThat(restored.keyOf(id)).as("id " + id).isEqualTo(key));
                afterRestore = new HashMap<>();
                for (int id = 1; id <= MAX_ID; id++) {
                    long key = restored.keyOf(id);
                    if (key == 0) {
                        continue;
                    }
                    int indexed = restored.find(key);
                    assertThat(restored.keyOf(indexed)).as("the id found for a key holds it").isEqualTo(key);
                    if (indexed != id) {
                        assertThat(maps).as("an id held apart from its key's id is a map's second id of the key")
                                .containsEntry(id, key).containsEntry(indexed, key);
                    } else {
                        afterRestore.put(key, id);
                    }
                }
            }
            try (StableIdAllocator reopened = StableIdAllocator.open(file, MAX_ID, ServiceIds.BACKENDS, null)) {
                assertThat(reopened.restore(ids, keys)).as("a second restore of the same maps changes nothing").isZero();
                for (Map.Entry<Long, Integer> e : afterRestore.entrySet()) {
                    assertThat(reopened.find(e.getKey())).isEqualTo(e.getValue());
                }
                Set<Integer> given = new HashSet<>();
                for (int k = 0; k < KEYS; k++) {
                    long key = key(k);
                    if (reopened.find(key) == 0 && reopened.size() == MAX_ID) {
                        assertThatThrownBy(() -> reopened.idOf(key)).isInstanceOf(IdSpaceExhaustedException.class);
                        continue;
                    }
                    boolean isNew = reopened.find(key) == 0;
                    int id = reopened.idOf(key);
                    if (isNew) {
                        assertThat(maps).as("new id %d of key %d", id, k).doesNotContainKey(id);
                        assertThat(afterRestore).doesNotContainValue(id);
                        assertThat(given.add(id)).as("new id %d given twice", id).isTrue();
                    }
                }
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static Map<Long, Integer> held(StableIdAllocator ids) {
        Map<Long, Integer> held = new HashMap<>();
        ids.forEach((key, id) -> assertThat(held.put(key, id)).as("key held twice").isNull());
        assertThat(held.values()).allSatisfy(id -> assertThat(id).isBetween(1, MAX_ID));
        assertThat(held.size()).isEqualTo(ids.size());
        return held;
    }

    private static int lowestFree(Map<Long, Integer> model) {
        int id = 1;
        while (model.containsValue(id)) {
            id++;
        }
        return id;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
