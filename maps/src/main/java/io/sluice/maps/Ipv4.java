package io.sluice.maps;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 address as a host-order {@code int} ({@code 10.0.0.1} is {@code 0x0a000001}). Layouts write it in
 * network order, so records never hold byte-swapped values.
 */
public record Ipv4(int bits) implements Comparable<Ipv4> {

    /** Parses dotted-quad text; anything else is refused with the text in the message. */
    public static Ipv4 parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        }
        int bits = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "' (octet " + octet + " > 255)");
            }
            bits = bits << 8 | octet;
        }
        return new Ipv4(bits);
    }

    /** The address of an {@link Inet4Address}. */
    public static Ipv4 of(Inet4Address address) {
        byte[] b = address.getAddress();
        return new Ipv4((b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff));
    }

    /** This address as an {@link Inet4Address}. */
    public Inet4Address toInetAddress() {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {
                    (byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits});
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }

    /** Hand-written, as the record's would compute it: the generated ones go through method handles, slow under C1. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Ipv4 other && bits == other.bits;
    }

    @Override
    public int hashCode() {
        return bits;
    }

    @Override
    public int compareTo(Ipv4 other) {
        return Integer.compareUnsigned(bits, other.bits);
    }

    @Override
    public String toString() {
        return (bits >>> 24) + "." + (bits >>> 16 & 0xff) + "." + (bits >>> 8 & 0xff) + "." + (bits & 0xff);
    }
}
