package io.sluice.agent.cli;

import io.sluice.maps.Ipv4;

/** Argument parsing shared by the commands; bad input is a {@link CliException} naming the argument. */
final class Cli {
    private Cli() {
    }

    /** A dotted-quad IPv4 address given as {@code what}. */
    static Ipv4 parseIpv4(String what, String text) {
        try {
            return Ipv4.parse(text.trim());
        } catch (IllegalArgumentException e) {
            throw new CliException(what + ": " + e.getMessage());
        }
    }
}
