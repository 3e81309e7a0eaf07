package io.sluice.testnet;

import java.util.List;

/**
 * Some objects of a {@link Topology} could not be removed on close. Everything else was still removed; each
 * failure is attached as a suppressed exception, and the message lists them.
 */
public final class TeardownException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TeardownException(List<? extends Throwable> failures) {
        super(failures.size() + " teardown step(s) failed: "
                + String.join("; ", failures.stream().map(Throwable::getMessage).toList()));
        failures.forEach(this::addSuppressed);
    }
}
