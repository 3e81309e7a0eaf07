package io.sluice.testnet;

import java.net.InetAddress;
import java.util.List;

/** An IP prefix such as {@code 198.18.0.1/24}: the address as written, and its prefix length. */
record Cidr(InetAddress address, int prefixLength) {

    /** The ranges interface and neighbour addresses must come from: reserved for benchmarking (RFC 2544, RFC 5180). */
    static final List<Cidr> TEST_RANGES = List.of(parse("test range", "198.18.0.0/15"), parse("test range", "2001:2::/48"));

    /** Parses {@code address/length}; {@code field} names what is parsed for the error message. */
    static Cidr parse(String field, String text) {
        if (text == null) {
            throw new IllegalArgumentException(field + ": missing (null)");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(field + ": '" + text + "' is not in address/prefix-length form");
        }
        InetAddress address = parseAddress(field, text.substring(0, slash));
        int max = address.getAddress().length * 8;
        int length;
        try {
            length = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": prefix length of '" + text + "' is not a number");
        }
        if (length < 0 || length > max) {
            throw new IllegalArgumentException(field + ": prefix length of '" + text + "' must be 0.." + max);
        }
        return new Cidr(address, length);
    }

    /** Parses an IP literal (never a host name: no DNS lookup). */
    static InetAddress parseAddress(String field, String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException(field + ": missing IP address");
        }
        try {
            return InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": '" + text + "' is not an IP address literal");
        }
    }

    boolean isDefault() {
        return prefixLength == 0;
    }

    boolean contains(InetAddress candidate) {
        byte[] net = address.getAddress();
        byte[] other = candidate.getAddress();
        if (net.length != other.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (net[i] != other[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (net[full] & mask) == (other[full] & mask);
    }

    static boolean inTestRanges(InetAddress candidate) {
        return TEST_RANGES.stream().anyMatch(range -> range.contains(candidate));
    }

    static String testRangesText() {
        return TEST_RANGES.stream().map(Cidr::toString).reduce((a, b) -> a + ", " + b).orElse("");
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
