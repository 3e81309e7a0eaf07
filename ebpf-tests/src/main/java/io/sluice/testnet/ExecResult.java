package io.sluice.testnet;

import java.util.List;

/**
 * The outcome of a finished command.
 *
 * @param command  the argument array that was run
 * @param exitCode the exit code, or -1 when the command was killed at its timeout
 * @param stdout   what it wrote to standard output (the first MiB)
 * @param stderr   what it wrote to standard error (the first MiB)
 * @param timedOut whether the command was killed because it outlived its timeout
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut) {

    public ExecResult {
        command = List.copyOf(command);
    }

    /** Whether the command finished in time with exit code 0. */
    public boolean succeeded() {
        return !timedOut && exitCode == 0;
    }

    /** Returns this result if the command succeeded, else throws {@link CommandFailedException} describing it. */
    public ExecResult orThrow() {
        if (succeeded()) {
            return this;
        }
        String what = timedOut ? "timed out" : "exited with " + exitCode;
        String detail = stderr.isBlank() ? stdout.strip() : stderr.strip();
        throw new CommandFailedException("command [" + String.join(" ", command) + "] " + what
                + (detail.isEmpty() ? "" : ": " + detail));
    }
}
