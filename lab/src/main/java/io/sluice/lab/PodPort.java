package io.sluice.lab;

import java.util.Comparator;

/**
 * A port a lab pod listens on, written {@code TCP/80} as in the probe matrix.
 *
 * @param protocol {@code TCP} or {@code UDP}
 * @param port     1 to 65535
 */
public record PodPort(String protocol, int port) implements Comparable<PodPort> {
    private static final Comparator<PodPort> ORDER =
            Comparator.comparing(PodPort::protocol).thenComparingInt(PodPort::port);

    public PodPort {
        if (!protocol.equals("TCP") && !protocol.equals("UDP")) {
            throw new IllegalArgumentException("protocol " + protocol + " is not TCP or UDP");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
        }
    }

    /**
     * Parses {@code TCP/80}.
     *
     * @throws IllegalArgumentException naming the text when it is not PROTOCOL/PORT
     */
    public static PodPort parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not PROTOCOL/PORT such as TCP/80");
        }
        try {
            return new PodPort(text.substring(0, slash), Integer.parseInt(text.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not PROTOCOL/PORT such as TCP/80");
        }
    }

    @Override
    public int compareTo(PodPort other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return protocol + "/" + port;
    }
}
