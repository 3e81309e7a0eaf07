package io.sluice.agent.cli;

/**
 * A failure an operator can act on, with a message that says what is missing or wrong and what to do. The
 * commands print it on standard error, without a stack trace, and exit with status 1.
 */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
