package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.agent.testsupport.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file behind the agent's id and identity stores: one opener at a time, refused by name; the lock goes with
 * close and with a failed open; after an agent killed while holding the map's segment lock, the next open recovers
 * the file and writes to it.
 */
class LockedChronicleFileTest {
    private static final String KIND = "test file";
    /** The key whose segment the killed process holds locked. */
    private static final int HELD_KEY = 7;

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("state").resolve("numbers.dat");
    }

    private static ChronicleMapBuilder<Integer, Long> builder() {
        return LockedChronicleFile.mapOf(Integer.class, Long.class).name("sluice-test-numbers").entries(1_000);
    }

    private LockedChronicleFile<Integer, Long> open() {
        return LockedChronicleFile.open(file(), KIND, builder());
    }

    @Test
    void aSecondOpenerIsRefusedNamingTheFileAndItsLockWhileTheFirstKeepsIt() {
        try (LockedChronicleFile<Integer, Long> first = open()) {
            assertThat(first.existed()).isFalse();
            for (int attempt = 0; attempt < 2; attempt++) { // a refused opener must not release the holder's lock
                assertThatThrownBy(this::open)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith(file().toString())
                        .hasMessageContaining("in use by another agent")
                        .hasMessageContaining(LockedChronicleFile.lockFileOf(file()).toString());
            }
            first.map().put(1, 10L);
            assertThat(first.map().get(1)).isEqualTo(10L);
        }
    }

    @Test
    void closeReleasesTheLockAndTheEntriesStay() {
        LockedChronicleFile<Integer, Long> first = open();
        first.map().put(1, 10L);
        first.close();
        first.close(); // a second close does nothing

        try (LockedChronicleFile<Integer, Long> again = open()) {
            assertThat(again.existed()).isTrue();
            assertThat(again.map().get(1)).isEqualTo(10L);
        }
    }

    @Test
    void aFileThatIsNotAChronicleMapIsRefusedByKindLeftAsItWasAndUnlocked() throws IOException {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "not a map\n".repeat(200));

        assertThatThrownBy(this::open)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file() + ": not a " + KIND + ", or damaged");
        assertThat(Files.readString(file())).startsWith("not a map");

        Files.delete(file());
        try (LockedChronicleFile<Integer, Long> fresh = open()) {
            assertThat(fresh.existed()).as("created anew once the bad file is gone").isFalse();
        }
    }

    @Test
    void workBeforeOpenRunsUnderTheLockAndItsFileIsOpenedAsExisting() {
        try (LockedChronicleFile<Integer, Long> opened = LockedChronicleFile.open(file(), KIND, builder(), () -> {
            assertThatThrownBy(this::open).hasMessageContaining("in use by another agent");
            try (ChronicleMap<Integer, Long> older = builder().createPersistedTo(file().toFile())) {
                older.put(2, 20L);
            }
        })) {
            assertThat(opened.existed()).isTrue();
            assertThat(opened.map().get(2)).isEqualTo(20L);
        }
    }

    @Test
    void aFailureBeforeOpenNamesTheFileAndReleasesTheLock() {
        assertThatThrownBy(() -> LockedChronicleFile.open(file(), KIND, builder(), () -> {
            throw new IOException("disk gone");
        })).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file() + ": cannot open").hasMessageContaining("disk gone");

        try (LockedChronicleFile<Integer, Long> opened = open()) {
            assertThat(opened.existed()).isFalse();
        }
    }

    @Test
    void anOpenerKilledWhileHoldingASegmentLockLeavesAFileTheNextOpenRecoversAndWrites() throws Exception {
        List<String> command = ChildJvm.command(List.of(), KilledHolder.class, file().toString());
        Process holder = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null && !line.equals(KilledHolder.HOLDING); line = out.readLine()) {
                output.add(line);
            }
            assertThat(holder.isAlive()).as("the holder got the segment lock; its output: %s", output).isTrue();
            holder.destroyForcibly(); // SIGKILL: no close, no shutdown hook
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            holder.destroyForcibly();
        }

        try (LockedChronicleFile<Integer, Long> recovered = open()) {
            assertThat(recovered.existed()).isTrue();
            assertThat(recovered.map().get(1)).as("written before the kill").isEqualTo(10L);
            recovered.map().put(HELD_KEY, 70L); // the segment the dead process held locked
            assertThat(recovered.map().get(HELD_KEY)).isEqualTo(70L);
        }
    }

    /** Run in a child JVM: opens the file, writes, takes a segment's write lock, says so, and waits to be killed. */
    public static final class KilledHolder {
        static final String HOLDING = "holding the segment lock";

        public static void main(String[] args) throws InterruptedException {
            LockedChronicleFile<Integer, Long> file = LockedChronicleFile.open(Path.of(args[0]), KIND, builder());
            file.map().put(1, 10L);
            ExternalMapQueryContext<Integer, Long, ?> query = file.map().queryContext(HELD_KEY);
            query.writeLock().lock();
            System.out.println(HOLDING);
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
        }
    }
}
