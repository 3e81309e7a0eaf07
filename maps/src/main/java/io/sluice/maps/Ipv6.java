package io.sluice.maps;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * An IPv6 address as two host-order {@code long}s, the first eight and the last eight bytes in network order
 * ({@code 2001:db8::1} is {@code high = 0x20010db800000000, low = 1}). Layouts write it as the 16 bytes of a
 * C {@code __u8 address[16]}.
 */
public record Ipv6(long high, long low) implements Comparable<Ipv6> {
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Parses an IPv6 literal (IPv4-mapped forms included); anything else is refused with the text in the message. */
    public static Ipv6 parse(String text) {
        if (text == null || !text.contains(":")) {
            throw new IllegalArgumentException("not an IPv6 address: '" + text + "'");
        }
        InetAddress address;
        try {
            address = Inet6Address.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IPv6 address: '" + text + "'", e);
        }
        if (address instanceof Inet4Address v4) {
            return mapped(Ipv4.of(v4));
        }
        return of(address.getAddress());
    }

    /** The IPv4-mapped address {@code ::ffff:a.b.c.d}. */
    public static Ipv6 mapped(Ipv4 address) {
        return new Ipv6(0, 0xffff_0000_0000L | Integer.toUnsignedLong(address.bits()));
    }

    /** The address of 16 bytes in network order. */
    public static Ipv6 of(byte[] bytes) {
        if (bytes.length != 16) {
            throw new IllegalArgumentException("an IPv6 address has 16 bytes, got " + bytes.length);
        }
        MemorySegment segment = MemorySegment.ofArray(bytes);
        return new Ipv6(segment.get(BE64, 0), segment.get(BE64, 8));
    }

    /** The 16 bytes in network order. */
    public byte[] bytes() {
        byte[] bytes = new byte[16];
        MemorySegment segment = MemorySegment.ofArray(bytes);
        segment.set(BE64, 0, high);
        segment.set(BE64, 8, low);
        return bytes;
    }

    void write(MemorySegment segment, long offset) {
        segment.set(BE64, offset, high);
        segment.set(BE64, offset + 8, low);
    }

    static Ipv6 read(MemorySegment segment, long offset) {
        return new Ipv6(segment.get(BE64, offset), segment.get(BE64, offset + 8));
    }

    @Override
    public int compareTo(Ipv6 other) {
        int c = Long.compareUnsigned(high, other.high);
        return c != 0 ? c : Long.compareUnsigned(low, other.low);
    }

    @Override
    public String toString() {
        try {
            return Inet6Address.getByAddress(null, bytes(), null).getHostAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are always an IPv6 address", e);
        }
    }
}
