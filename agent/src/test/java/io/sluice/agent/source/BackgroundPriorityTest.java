package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The parse threads' nice value, read back from the kernel (/proc/thread-self/stat, field 19). */
class BackgroundPriorityTest {

    private static int niceOfCurrentThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]); // field 19 of stat; fields after the command start at 3
    }

    /** The nice value of a new thread after it ran {@code lower}: "not lowered" if that failed, or what it threw. */
    private static Object niceOfAThreadThat(BooleanSupplier lower) throws InterruptedException {
        AtomicReference<Object> seen = new AtomicReference<>();
        Thread.ofPlatform().start(() -> {
            try {
                seen.set(lower.getAsBoolean() ? niceOfCurrentThread() : "not lowered");
            } catch (Exception e) {
                seen.set(e);
            }
        }).join();
        return seen.get();
    }

    @Test
    void aLoweredThreadRunsAtTheBackgroundNiceValueAndOtherThreadsKeepTheirs() throws Exception {
        int before = niceOfCurrentThread();

        assertThat(niceOfAThreadThat(BackgroundPriority::lowerCurrentThread)).isEqualTo(BackgroundPriority.NICE);
        assertThat(niceOfCurrentThread()).as("the caller's own nice value").isEqualTo(before);
    }

    @Test
    void aThreadLoweredToIdleRunsAtNiceNineteen() throws Exception {
        assertThat(niceOfAThreadThat(BackgroundPriority::lowerCurrentThreadToIdle)).isEqualTo(19);
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
