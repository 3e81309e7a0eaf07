package io.sluice.testnet;

/**
 * What a TCP or UDP request from {@link Traffic} came to. Each failure kind is its own type, so a test can tell a
 * refused connection (RST, ICMP port unreachable) from a silent drop (timeout), a missing route, or a connect
 * denied by a BPF program (EPERM).
 */
public sealed interface RequestOutcome {

    /** Whether the peer answered with a line. */
    default boolean answered() {
        return this instanceof Answered;
    }

    /** The peer answered with this line (without the line end). */
    record Answered(String line) implements RequestOutcome {
    }

    /** The peer refused: TCP reset on connect, or ICMP port unreachable for UDP. */
    record Refused(String detail) implements RequestOutcome {
    }

    /** No answer before the timeout: the connect or the reply was dropped somewhere. */
    record TimedOut(String detail) implements RequestOutcome {
    }

    /** No route to the destination (network or host unreachable). */
    record Unreachable(String detail) implements RequestOutcome {
    }

    /** The local kernel denied the operation (EPERM or EACCES, as a cgroup program returning 0 does). */
    record Denied(String detail) implements RequestOutcome {
    }

    /** Anything else, such as a connection closed without a reply. */
    record Failed(String detail) implements RequestOutcome {
    }
}
