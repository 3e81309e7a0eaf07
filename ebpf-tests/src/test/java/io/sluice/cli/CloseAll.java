package io.sluice.cli;

/** Closes test resources in the order given, going on past failures; the first failure is thrown with the rest suppressed. */
final class CloseAll {
    private CloseAll() {
    }

    static void inOrder(AutoCloseable... resources) {
        RuntimeException failure = null;
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException re ? re : new IllegalStateException("closing " + r, e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
