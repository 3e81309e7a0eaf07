package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The parse threads' nice value, read back from the kernel (/proc/thread-self/stat, field 19). */
class BackgroundPriorityTest {

    private static int niceOfCurrentThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]); // field 19 of stat; fields after the command start at 3
    }

    @Test
    void aLoweredThreadRunsAtTheBackgroundNiceValueAndOtherThreadsKeepTheirs() throws Exception {
        AtomicReference<Object> seen = new AtomicReference<>();
        int before = niceOfCurrentThread();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                boolean lowered = BackgroundPriority.lowerCurrentThread();
                seen.set(lowered ? niceOfCurrentThread() : "not lowered");
            } catch (Exception e) {
                seen.set(e);
            }
        });
        t.join();

        assertThat(seen.get()).isEqualTo(BackgroundPriority.NICE);
        assertThat(niceOfCurrentThread()).as("the caller's own nice value").isEqualTo(before);
    }

    @Test
    void aThreadLoweredToIdleRunsAtNiceNineteen() throws Exception {
        AtomicReference<Object> seen = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                boolean lowered = BackgroundPriority.lowerCurrentThreadToIdle();
                seen.set(lowered ? niceOfCurrentThread() : "not lowered");
            } catch (Exception e) {
                seen.set(e);
            }
        });
        t.join();

        assertThat(seen.get()).isEqualTo(19);
    }

    @Test
    void theParsePoolsWorkersRunAtTheBackgroundNiceValue() throws Exception {
        ForkJoinPool pool = BackgroundPriority.parsePool("test-parse", 2);
        try {
            int nice = pool.submit(BackgroundPriorityTest::niceOfCurrentThread).get();
            String name = pool.submit(() -> Thread.currentThread().getName()).get();

            assertThat(nice).isEqualTo(BackgroundPriority.NICE);
            assertThat(name).startsWith("test-parse-");
        } finally {
            pool.shutdownNow();
        }
    }
}
