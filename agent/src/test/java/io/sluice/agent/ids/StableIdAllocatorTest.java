package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stable ids: persisted across reopen, freed ids reused, bad files refused by name. (A second JVM reading the file
 * is left out: Chronicle Map compiles its header class with javac at first use, about ten seconds per JVM here.)
 */
class StableIdAllocatorTest {
    private static final List<String> KEYS = List.of(
            "svc:default/web:80:TCP:10.96.0.10", "svc:default/web:443:TCP:10.96.0.10",
            "10.0.0.5:8080/TCP", "10.0.0.6:8080/TCP", "[fd00::5]:8080/TCP");

    @TempDir
    Path stateDir;

    private Path file() {
        return stateDir.resolve("ids").resolve("backends.dat");
    }

    private Map<String, Integer> allocateAll(StableIdAllocator ids) {
        Map<String, Integer> allocated = new LinkedHashMap<>();
        for (String key : KEYS) {
            allocated.put(key, ids.idOf(key));
        }
        return allocated;
    }

    @Test
    void aNewInstanceOverTheSameFileGivesTheSameIds() {
        Map<String, Integer> first;
        try (StableIdAllocator ids = StableIdAllocator.open(file(), 1000)) {
            first = allocateAll(ids);
            assertThat(first.values()).containsExactly(1, 2, 3, 4, 5);
            assertThat(ids.release("10.0.0.5:8080/TCP")).isEqualTo(3);
        }

        try (StableIdAllocator reopened = StableIdAllocator.open(file(), 1000)) {
            assertThat(reopened.size()).isEqualTo(4);
            for (String key : KEYS) {
                assertThat(reopened.find(key)).as(key)
                        .isEqualTo(key.equals("10.0.0.5:8080/TCP") ? 0 : first.get(key));
            }
            assertThat(reopened.idOf("10.0.0.7:8080/TCP")).as("the freed id is reused").isEqualTo(3);
            assertThat(reopened.idOf("svc:default/web:80:TCP:10.96.0.10")).isEqualTo(1);
        }
    }

    @Test
    void idsRunOutWithAnErrorNamingTheFileAndKey() {
        try (StableIdAllocator ids = StableIdAllocator.open(file(), 2)) {
            ids.idOf("a");
            ids.idOf("b");
            assertThatThrownBy(() -> ids.idOf("c"))
                    .isInstanceOf(IdSpaceExhaustedException.class)
                    .hasMessageContaining(file().toString()).hasMessageContaining("\"c\"").hasMessageContaining("2");
            ids.release("a");
            assertThat(ids.idOf("c")).isEqualTo(1);
        }
    }

    @Test
    void aFileOfAnotherFormatVersionIsRefusedByName() throws IOException {
        Files.createDirectories(file().getParent());
        try (ChronicleMap<CharSequence, Integer> map = ChronicleMap.of(CharSequence.class, Integer.class)
                .averageKeySize(48).entries(100).createPersistedTo(file().toFile())) {
            map.put(StableIdAllocator.VERSION_KEY, StableIdAllocator.FORMAT_VERSION + 1);
            map.put("10.0.0.5:8080/TCP", 1);
        }

        assertThatThrownBy(() -> StableIdAllocator.open(file(), 1000))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file().toString())
                .hasMessageContaining("format version " + (StableIdAllocator.FORMAT_VERSION + 1))
                .hasMessageContaining("reads version " + StableIdAllocator.FORMAT_VERSION);
    }

    @Test
    void aFileThatIsNotAnIdFileIsRefusedByName() throws IOException {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "this is not a chronicle map\n".repeat(100));

        assertThatThrownBy(() -> StableIdAllocator.open(file(), 1000))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file().toString());
        assertThat(Files.readString(file())).startsWith("this is not a chronicle map");
    }

    @Test
    void oneFileServesOneAllocatorAtATime() {
        try (StableIdAllocator ids = StableIdAllocator.open(file(), 10)) {
            assertThatThrownBy(() -> StableIdAllocator.open(file(), 10))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(file().toString()).hasMessageContaining("in use");
            assertThat(ids.idOf("a")).isEqualTo(1);
        }
        try (StableIdAllocator again = StableIdAllocator.open(file(), 10)) {
            assertThat(again.find("a")).isEqualTo(1);
        }
    }

    @Test
    void idsAboveANewLimitAreRefusedRatherThanSilentlyRenumbered() {
        try (StableIdAllocator ids = StableIdAllocator.open(file(), 10)) {
            for (int i = 0; i < 5; i++) {
                ids.idOf("k" + i);
            }
        }
        assertThatThrownBy(() -> StableIdAllocator.open(file(), 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file().toString()).hasMessageContaining("outside 1..3");
    }

    @Test
    void keysThatCannotBePersistedAreRefused() {
        try (StableIdAllocator ids = StableIdAllocator.open(file(), 10)) {
            assertThatThrownBy(() -> ids.idOf("")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ids.idOf(StableIdAllocator.VERSION_KEY)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("NUL");
            assertThatThrownBy(() -> ids.idOf("x".repeat(StableIdAllocator.MAX_KEY_LENGTH + 1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(ids.size()).isZero();
        }
    }
}
