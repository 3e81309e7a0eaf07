package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stable ids: persisted across reopen in blocks, freed ids reused, the pinned maps' ids restored over the file's, bad
 * files refused by name. (A second JVM reading the file is left out: each JVM's first Chronicle Map costs seconds.)
 */
class StableIdAllocatorTest {
    private static final List<Long> KEYS = List.of(backend("10.0.0.5", 8080), backend("10.0.0.6", 8080),
            backend("10.0.0.7", 8080), backend("10.0.0.8", 53), backend("10.0.0.9", 443));

    @TempDir
    Path stateDir;

    static long backend(String address, int port) {
        return ServiceIds.backendKey(new Lb4Backend(Ipv4.parse(address), port, IpProtocol.TCP, 0));
    }

    private Path file() {
        return stateDir.resolve("ids").resolve("backends.v2.dat");
    }

    private StableIdAllocator open(int maxId) {
        return StableIdAllocator.open(file(), maxId, ServiceIds.BACKENDS, null);
    }

    private Map<Long, Integer> allocateAll(StableIdAllocator ids) {
        Map<Long, Integer> allocated = new LinkedHashMap<>();
        for (long key : KEYS) {
            allocated.put(key, ids.idOf(key));
        }
        return allocated;
    }

    @Test
    void aNewInstanceOverTheSameFileGivesTheSameIds() {
        Map<Long, Integer> first;
        try (StableIdAllocator ids = open(1000)) {
            first = allocateAll(ids);
            assertThat(first.values()).containsExactly(1, 2, 3, 4, 5);
            assertThat(ids.release(KEYS.get(2))).isEqualTo(3);
        }

        try (StableIdAllocator reopened = open(1000)) {
            assertThat(reopened.size()).isEqualTo(4);
            for (long key : KEYS) {
                assertThat(reopened.find(key)).isEqualTo(key == KEYS.get(2) ? 0 : first.get(key));
            }
            assertThat(reopened.idOf(backend("10.0.0.10", 8080))).as("the freed id is reused").isEqualTo(3);
            assertThat(reopened.idOf(KEYS.get(0))).isEqualTo(1);
        }
    }

    @Test
    void persistWritesOneEntryPerBlockOf64IdsThatChanged() {
        try (StableIdAllocator ids = open(1000)) {
            for (int i = 0; i < 130; i++) {
                ids.idOf(backend("10.1.0." + (i % 250), 1000 + i));
            }
            assertThat(ids.persist()).as("ids 1..130 are in blocks 0, 1 and 2").isEqualTo(3);
            assertThat(ids.persist()).as("nothing changed since").isZero();
            ids.releaseId(70);
            ids.release(backend("10.1.0.0", 1000));
            assertThat(ids.persist()).isEqualTo(2);
        }
        try (StableIdAllocator reopened = open(1000)) {
            assertThat(reopened.size()).isEqualTo(128);
            assertThat(reopened.keyOf(70)).isZero();
            assertThat(reopened.find(backend("10.1.0.1", 1001))).isEqualTo(2);
            assertThat(reopened.find(backend("10.1.0.129", 1129))).isEqualTo(130);
        }
    }

    @Test
    void idsRunOutWithAnErrorNamingTheFileAndKey() {
        try (StableIdAllocator ids = open(2)) {
            ids.idOf(KEYS.get(0));
            ids.idOf(KEYS.get(1));
            assertThatThrownBy(() -> ids.idOf(KEYS.get(2)))
                    .isInstanceOf(IdSpaceExhaustedException.class)
                    .hasMessageContaining(file().toString()).hasMessageContaining("backend 10.0.0.7:8080/TCP")
                    .hasMessageContaining("all 2 ids");
            ids.release(KEYS.get(0));
            assertThat(ids.idOf(KEYS.get(2))).isEqualTo(1);
        }
    }

    @Test
    void theMapsIdsWinOverTheFiles() {
        long a = KEYS.get(0);
        long b = KEYS.get(1);
        long c = KEYS.get(2);
        try (StableIdAllocator ids = open(1000)) {
            ids.idOf(a);
            ids.idOf(b);
        }
        try (StableIdAllocator ids = open(1000)) {
            // The maps hold b at 1 (the file says a) and c at 3 (the file has no c).
            assertThat(ids.restore(new int[] {1, 3}, new long[] {b, c})).isEqualTo(3);
            assertThat(ids.find(a)).as("a lost id 1 to the maps' b").isZero();
            assertThat(ids.find(b)).isEqualTo(1);
            assertThat(ids.find(c)).isEqualTo(3);
            assertThat(ids.keyOf(2)).as("b's id in the file, which no map holds").isZero();
            assertThat(ids.idOf(a)).isEqualTo(2);
            assertThat(ids.restore(new int[] {1, 3}, new long[] {b, c})).as("nothing left to change").isZero();
        }
        try (StableIdAllocator reopened = open(1000)) {
            assertThat(reopened.find(a)).isEqualTo(2);
            assertThat(reopened.find(b)).isEqualTo(1);
            assertThat(reopened.find(c)).isEqualTo(3);
        }
    }

    @Test
    void aKeyTheMapsHoldTwiceKeepsBothIdsUntilOneIsReleased() {
        long a = KEYS.get(0);
        try (StableIdAllocator ids = open(1000)) {
            ids.restore(new int[] {4, 2}, new long[] {a, a});
            assertThat(ids.find(a)).as("the lower id").isEqualTo(2);
            assertThat(ids.keyOf(4)).isEqualTo(a);
            assertThat(ids.idOf(KEYS.get(1))).as("neither id is handed out").isEqualTo(1);
            assertThat(ids.idOf(KEYS.get(2))).isEqualTo(3);
            assertThat(ids.releaseId(4)).isEqualTo(a);
            assertThat(ids.find(a)).isEqualTo(2);
            assertThat(ids.idOf(KEYS.get(3))).isEqualTo(4);
        }
        assertThatThrownBy(() -> {
            try (StableIdAllocator ids = open(10)) {
                ids.restore(new int[] {11}, new long[] {a});
            }
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining(file().toString())
                .hasMessageContaining("id 11 for backend 10.0.0.5:8080/TCP, outside 1..10");
    }

    @Test
    void aFileOfAnotherFormatVersionIsRefusedByName() throws IOException {
        Files.createDirectories(file().getParent());
        byte[] version = new byte[StableIdAllocator.BLOCK_BYTES];
        ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putInt(0, StableIdAllocator.FORMAT_VERSION + 1);
        try (ChronicleMap<Integer, byte[]> map = ChronicleMap.of(Integer.class, byte[].class)
                .constantValueSizeBySample(new byte[StableIdAllocator.BLOCK_BYTES]).entries(100)
                .createPersistedTo(file().toFile())) {
            map.put(StableIdAllocator.VERSION_BLOCK, version);
        }

        assertThatThrownBy(() -> open(1000))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file().toString())
                .hasMessageContaining("format version " + (StableIdAllocator.FORMAT_VERSION + 1))
                .hasMessageContaining("reads version " + StableIdAllocator.FORMAT_VERSION);
    }

    @Test
    void aFormatOneFileWhereTheFormatTwoFileBelongsIsRefusedByName() throws IOException {
        FormatOneIdFileTest.writeFormatOne(file(), 1000, Map.of("backend:10.0.0.5:8080/TCP", 1));

        assertThatThrownBy(() -> open(1000))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file().toString());
    }

    @Test
    void aFileThatIsNotAnIdFileIsRefusedByName() throws IOException {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "this is not a chronicle map\n".repeat(100));

        assertThatThrownBy(() -> open(1000))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file().toString());
        assertThat(Files.readString(file())).startsWith("this is not a chronicle map");
    }

    @Test
    void oneFileServesOneAllocatorAtATime() {
        try (StableIdAllocator ids = open(10)) {
            assertThatThrownBy(() -> open(10))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(file().toString()).hasMessageContaining("in use");
            assertThat(ids.idOf(KEYS.get(0))).isEqualTo(1);
        }
        try (StableIdAllocator again = open(10)) {
            assertThat(again.find(KEYS.get(0))).isEqualTo(1);
        }
    }

    @Test
    void idsAboveANewLimitAreRefusedRatherThanSilentlyRenumbered() {
        try (StableIdAllocator ids = open(10)) {
            allocateAll(ids);
        }
        assertThatThrownBy(() -> open(3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file().toString()).hasMessageContaining("has id 4, outside 1..3");
    }

    @Test
    void keyZeroIsRefused() {
        try (StableIdAllocator ids = open(10)) {
            assertThatThrownBy(() -> ids.idOf(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("0 is reserved");
            assertThat(ids.size()).isZero();
        }
    }
}
