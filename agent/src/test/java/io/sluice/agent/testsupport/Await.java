package io.sluice.agent.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds; the timeout bounds a hung test, it is not what a test asserts. */
public final class Await {
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private Await() {
    }

    public static void until(BooleanSupplier condition, Supplier<String> whatWeWaitFor) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + whatWeWaitFor.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + whatWeWaitFor.get(), e);
            }
        }
    }
}
