package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.writer.StateWriter;
import java.time.Duration;

/** Drives a {@link StateWriter} on the test's thread, for tests that run the writer and reconciler in-process. */
final class WriterSteps {
    /** How long the writer must have had nothing to do before it counts as idle (its flush may wait for a delay). */
    private static final long QUIET_NANOS = 200_000_000L;

    private WriterSteps() {
    }

    /** Runs {@code writer} until it is ready (failing after {@code within}), then until it is idle. */
    static void runUntilReady(StateWriter writer, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!writer.status().ready()) {
            writer.doWork();
            assertThat(System.nanoTime()).as("writer ready within %s", within).isLessThan(deadline);
        }
        runUntilIdle(writer);
    }

    /** Runs {@code writer} until it has had nothing to do for 200 ms. */
    static void runUntilIdle(StateWriter writer) {
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < QUIET_NANOS) {
            if (writer.doWork() > 0) {
                quietSince = System.nanoTime();
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
