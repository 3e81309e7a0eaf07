package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.testsupport.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chronicle's classes loaded in the background while id files open: each in a fresh JVM (the only place Chronicle's
 * classes are not initialised yet), with the opens starting at once and shortly after, from two
 * threads at a time as the agent opens its id files and its identity store. A deadlock between the loading thread
 * and an opener fails the test by its timeout.
 */
class ChronicleClassesTest {
    @TempDir
    Path dir;

    @Test
    void idFilesOpenFromTwoThreadsWhileChronicleLoadsInTheBackground() throws Exception {
        for (int delayMillis : new int[] {0, 30}) {
            Path state = dir.resolve("state-" + delayMillis);
            Process opener = childJvm(TwoOpeners.class, state.toString(), Integer.toString(delayMillis));
            assertThat(opener.waitFor(90, TimeUnit.SECONDS))
                    .as("openers started %d ms after the loading began end within 90 s (a deadlock never ends)", delayMillis)
                    .isTrue();
            String output = new String(opener.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(opener.exitValue()).as(output).isZero();
            String taken = output.lines().filter(l -> l.startsWith(TwoOpeners.TOOK)).findFirst().orElseThrow();
            int id = Integer.parseInt(taken.substring(TwoOpeners.TOOK.length()));
            try (StableIdAllocator reopened = ServiceIds.openFrontendIds(state)) {
                assertThat(reopened.find(TwoOpeners.KEY)).as("the id the child persisted").isEqualTo(id).isPositive();
            }
        }
    }

    private static Process childJvm(Class<?> main, String... args) throws IOException {
        return new ProcessBuilder(ChildJvm.command(List.of(), main, args)).redirectErrorStream(true).start();
    }

    /**
     * Run in a child JVM: starts loading Chronicle's classes, waits {@code args[1]} ms, then opens the frontend id
     * file in {@code args[0]} and a second Chronicle file there from two threads at once, takes and persists an id
     * and prints it.
     */
    public static final class TwoOpeners {
        static final String TOOK = "took id ";
        static final long KEY = 42L;

        public static void main(String[] args) throws Exception {
            Path state = Path.of(args[0]);
            ChronicleClasses.loadInBackground();
            Thread.sleep(Integer.parseInt(args[1]));
            FutureTask<Long> other = new FutureTask<>(() -> {
                try (LockedChronicleFile<Integer, Long> file = LockedChronicleFile.open(state.resolve("other.dat"),
                        "test file", LockedChronicleFile.mapOf(Integer.class, Long.class).name("other").entries(100))) {
                    file.map().put(1, 10L);
                    return file.map().get(1);
                }
            });
            Thread.ofPlatform().start(other);
            try (StableIdAllocator ids = ServiceIds.openFrontendIds(state)) {
                int id = ids.idOf(KEY);
                ids.persist();
                if (other.get() != 10L) {
                    throw new AssertionError("the other file read back " + other.get());
                }
                System.out.println(TOOK + id);
            }
        }
    }
}
