package io.sluice.testnet;

/** A command the harness ran (ip, sysctl, socat, ...) failed; the message names the command and its error output. */
public final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandFailedException(String message) {
        super(message);
    }

    public CommandFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
