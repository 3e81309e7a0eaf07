package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.LbScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An id file written by the agent before format 2 (string keys; the same builder settings, version key and key text
 * as that agent) keeps its ids when the agent is upgraded: the files are migrated at open. The old names then hold a
 * guard that such an older agent refuses by name, so a downgrade does not start over fresh ids.
 */
class FormatOneIdFileTest {
    @TempDir
    Path stateDir;

    /** Writes {@code ids} as the format-1 agent did ({@code StableIdAllocator.open(file, maxId)} then {@code idOf}). */
    static void writeFormatOne(Path file, int maxId, Map<String, Integer> ids) throws IOException {
        Files.createDirectories(file.getParent());
        try (ChronicleMap<CharSequence, Integer> map = ChronicleMap.of(CharSequence.class, Integer.class)
                .name("sluice-ids-" + file.getFileName()).averageKeySize(FormatOneIdFile.AVERAGE_KEY_SIZE)
                .entries(maxId + 1L).createPersistedTo(file.toFile())) {
            map.put(FormatOneIdFile.VERSION_KEY, FormatOneIdFile.FORMAT_VERSION);
            map.putAll(ids);
        }
    }

    @Test
    void anUpgradedAgentKeepsTheIdsOfFormatOneFiles() throws IOException {
        Map<String, Integer> backends = new LinkedHashMap<>();
        backends.put("backend:10.0.0.5:8080/TCP", 1);
        backends.put("backend:10.0.0.6:53/UDP", 2);
        backends.put("backend:10.0.0.7:8080/TCP", 4); // 3 was released
        writeFormatOne(stateDir.resolve(ServiceIds.BACKEND_FORMAT_ONE_FILE), DatapathConstants.LB4_BACKENDS_MAX, backends);
        writeFormatOne(stateDir.resolve(ServiceIds.FRONTEND_FORMAT_ONE_FILE), DatapathConstants.LB4_SERVICES_MAX,
                Map.of("frontend:10.96.0.10:80/TCP/INTERNAL", 7, "frontend:192.168.1.2:30080/TCP/EXTERNAL", 2));

        long web = ServiceIds.frontendKey(new Lb4Key(Ipv4.parse("10.96.0.10"), 80, IpProtocol.TCP, LbScope.INTERNAL));
        long nodePort = ServiceIds.frontendKey(new Lb4Key(Ipv4.parse("192.168.1.2"), 30080, IpProtocol.TCP, LbScope.EXTERNAL));
        for (int open = 0; open < 2; open++) {
            try (StableIdAllocator frontends = ServiceIds.openFrontendIds(stateDir);
                 StableIdAllocator ids = ServiceIds.openBackendIds(stateDir)) {
                assertThat(ids.size()).as("the three migrated, then also the one allocated").isEqualTo(3 + open);
                assertThat(ids.find(StableIdAllocatorTest.backend("10.0.0.5", 8080))).isEqualTo(1);
                assertThat(ids.find(ServiceIds.BACKENDS.fromFormatOne("backend:10.0.0.6:53/UDP"))).isEqualTo(2);
                assertThat(ids.find(StableIdAllocatorTest.backend("10.0.0.7", 8080))).isEqualTo(4);
                assertThat(frontends.find(web)).isEqualTo(7);
                assertThat(frontends.find(nodePort)).isEqualTo(2);
                if (open == 0) {
                    assertThat(ids.idOf(StableIdAllocatorTest.backend("10.0.0.8", 8080))).as("the free id").isEqualTo(3);
                }
            }
            assertThat(versionAnOlderAgentReads(stateDir.resolve(ServiceIds.BACKEND_FORMAT_ONE_FILE),
                    DatapathConstants.LB4_BACKENDS_MAX)).as("the migrated file replaced by a guard").isEqualTo(2);
            assertThat(versionAnOlderAgentReads(stateDir.resolve(ServiceIds.FRONTEND_FORMAT_ONE_FILE),
                    DatapathConstants.LB4_SERVICES_MAX)).isEqualTo(2);
            assertThat(stateDir.resolve(ServiceIds.BACKEND_FILE)).exists();
        }
    }

    /**
     * What an agent of format 1 reads at its file's name ({@code open} recovered an existing file with its builder,
     * then refused any version but 1: "id file format version 2, this agent reads version 1"); fails when the map
     * holds more than the version (ids it could take for its own).
     */
    static Object versionAnOlderAgentReads(Path file, int maxId) throws IOException {
        assertThat(file).as("%s: without a file an older agent starts with fresh ids", file).exists();
        try (ChronicleMap<CharSequence, Integer> map = ChronicleMap.of(CharSequence.class, Integer.class)
                .name("sluice-ids-" + file.getFileName()).averageKeySize(FormatOneIdFile.AVERAGE_KEY_SIZE)
                .entries(maxId + 1L).recoverPersistedTo(file.toFile(), false)) {
            assertThat(map.keySet()).as("%s holds only its version", file).hasSize(1);
            return map.get(FormatOneIdFile.VERSION_KEY);
        }
    }

    @Test
    void aNewStateDirectoryIsGuardedAgainstAnOlderAgentAndTheGuardKeepsNoIds() throws IOException {
        long key = StableIdAllocatorTest.backend("10.0.0.5", 8080);
        for (int open = 0; open < 2; open++) {
            try (StableIdAllocator ids = ServiceIds.openBackendIds(stateDir)) {
                assertThat(ids.idOf(key)).isEqualTo(1);
            }
            assertThat(versionAnOlderAgentReads(stateDir.resolve(ServiceIds.BACKEND_FORMAT_ONE_FILE),
                    DatapathConstants.LB4_BACKENDS_MAX)).isEqualTo(StableIdAllocator.FORMAT_VERSION).isNotEqualTo(1);
        }
    }

    @Test
    void aDamagedGuardBesideTheFormatTwoFileIsReplaced() throws IOException {
        try (StableIdAllocator ids = ServiceIds.openBackendIds(stateDir)) {
            ids.idOf(StableIdAllocatorTest.backend("10.0.0.5", 8080));
        }
        Path guard = stateDir.resolve(ServiceIds.BACKEND_FORMAT_ONE_FILE);
        Files.writeString(guard, "not a map\n".repeat(200));

        try (StableIdAllocator ids = ServiceIds.openBackendIds(stateDir)) {
            assertThat(ids.size()).isEqualTo(1);
        }
        assertThat(versionAnOlderAgentReads(guard, DatapathConstants.LB4_BACKENDS_MAX)).isEqualTo(2);
    }

    @Test
    void aFormatOneFileLeftBesideItsMigrationIsGuardedAndItsIdsIgnored() throws IOException {
        long kept = StableIdAllocatorTest.backend("10.0.0.5", 8080);
        try (StableIdAllocator ids = ServiceIds.openBackendIds(stateDir)) {
            assertThat(ids.idOf(kept)).isEqualTo(1);
        }
        Path formatOne = stateDir.resolve(ServiceIds.BACKEND_FORMAT_ONE_FILE);
        Files.delete(formatOne); // as an agent that stopped after the migration's move, before the guard
        writeFormatOne(formatOne, DatapathConstants.LB4_BACKENDS_MAX,
                Map.of("backend:10.0.0.6:8080/TCP", 1, "backend:10.0.0.5:8080/TCP", 2));

        try (StableIdAllocator ids = ServiceIds.openBackendIds(stateDir)) {
            assertThat(ids.find(kept)).as("the format-2 file's id").isEqualTo(1);
            assertThat(ids.size()).isEqualTo(1);
        }
        assertThat(versionAnOlderAgentReads(formatOne, DatapathConstants.LB4_BACKENDS_MAX)).isEqualTo(2);
    }

    @Test
    void aFormatOneKeyThatDoesNotReadIsRefusedByFileAndKeyAndTheFileKept() throws IOException {
        Path formatOne = stateDir.resolve(ServiceIds.BACKEND_FORMAT_ONE_FILE);
        writeFormatOne(formatOne, DatapathConstants.LB4_BACKENDS_MAX,
                Map.of("backend:10.0.0.5:8080/TCP", 1, "backend:10.0.0.300:8080/TCP", 2));

        assertThatThrownBy(() -> ServiceIds.openBackendIds(stateDir))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(formatOne.toString())
                .hasMessageContaining("backend:10.0.0.300:8080/TCP");
        assertThat(formatOne).exists();
        assertThat(stateDir.resolve(ServiceIds.BACKEND_FILE)).doesNotExist();
    }

    @Test
    void formatOneKeysReadAsThePackedKeysOfTheirObjects() {
        assertThat(ServiceIds.FRONTENDS.describe(ServiceIds.FRONTENDS.fromFormatOne("frontend:10.96.0.10:80/UDP/EXTERNAL")))
                .isEqualTo("frontend 10.96.0.10:80/UDP/EXTERNAL");
        assertThat(ServiceIds.BACKENDS.describe(ServiceIds.BACKENDS.fromFormatOne("backend:10.0.0.5:65535/TCP")))
                .isEqualTo("backend 10.0.0.5:65535/TCP");
        assertThatThrownBy(() -> ServiceIds.BACKENDS.fromFormatOne("frontend:10.96.0.10:80/UDP/EXTERNAL"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backend:");
        assertThatThrownBy(() -> ServiceIds.BACKENDS.fromFormatOne("backend:10.0.0.5:http/TCP"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'http'");
        assertThatThrownBy(() -> ServiceIds.FRONTENDS.fromFormatOne("frontend:10.96.0.10:80/TCP"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SCOPE");
    }
}
