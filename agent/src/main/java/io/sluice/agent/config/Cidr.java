package io.sluice.agent.config;

import java.net.Inet4Address;
import java.net.InetAddress;

/** An IPv4 or IPv6 network in CIDR notation, e.g. {@code 10.0.0.0/8}; host bits must be zero. */
public record Cidr(InetAddress network, int prefixLength) {

    /**
     * Parses {@code text} without any name lookup.
     *
     * @throws IllegalArgumentException with the reason when {@code text} is not a CIDR
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("\"" + text + "\" has no /prefix-length");
        }
        InetAddress address = parseLiteral(text.substring(0, slash));
        if (address == null) {
            throw new IllegalArgumentException("\"" + text + "\" does not start with an IPv4 or IPv6 address");
        }
        int bits = address instanceof Inet4Address ? 32 : 128;
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" has a prefix length that is not a number");
        }
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("\"" + text + "\" has prefix length " + prefix + ", outside 0.." + bits);
        }
        byte[] raw = address.getAddress();
        for (int bit = prefix; bit < bits; bit++) {
            if ((raw[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
                throw new IllegalArgumentException("\"" + text + "\" has host bits set after /" + prefix);
            }
        }
        return new Cidr(address, prefix);
    }

    /** An IPv4 dotted quad or an IPv6 literal, or null when {@code text} is neither; never a name lookup. */
    static InetAddress parseLiteral(String text) {
        if (text.indexOf(':') < 0 && !text.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }
}
