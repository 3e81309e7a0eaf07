package io.sluice.maps;

import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * An IPv4 prefix of the ipcache: C {@code struct ipcache4_key}, an LPM trie key (prefix length in host order,
 * then the address in network order). Bits of the address below the prefix must be zero, so equal prefixes are
 * equal records.
 * <pre>
 *  0           4         8
 *  +-----------+---------+
 *  | prefixlen | address |
 *  +-----------+---------+
 * </pre>
 */
public record Ipcache4Key(Ipv4 address, int prefixLength) implements Comparable<Ipcache4Key> {

    public Ipcache4Key {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("ipcache4_key.prefixlen = " + prefixLength + " is not 0..32");
        }
        if ((address.bits() & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("ipcache4_key: " + address + "/" + prefixLength
                    + " has bits set below the prefix");
        }
    }

    /** The /32 of one address. */
    public static Ipcache4Key host(Ipv4 address) {
        return new Ipcache4Key(address, 32);
    }

    /** Whether {@code a} lies in this prefix. */
    public boolean contains(Ipv4 a) {
        return (a.bits() & mask(prefixLength)) == address.bits();
    }

    private static int mask(int length) {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    /** By address, then shorter prefixes first. */
    @Override
    public int compareTo(Ipcache4Key o) {
        int c = address.compareTo(o.address);
        return c != 0 ? c : Integer.compare(prefixLength, o.prefixLength);
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }

    /** The codec of {@code struct ipcache4_key}. */
    public static final StructCodec<Ipcache4Key> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U32.withName("prefixlen"),
                BE32.withName("address"));
        private final VarHandle prefixlen = Layouts.field(layout, "prefixlen");
        private final VarHandle addressField = Layouts.field(layout, "address");

        @Override
        public String cName() {
            return "ipcache4_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Ipcache4Key value, MemorySegment segment) {
            prefixlen.set(segment, 0L, value.prefixLength());
            addressField.set(segment, 0L, value.address().bits());
        }

        @Override
        public Ipcache4Key decode(MemorySegment segment) {
            return new Ipcache4Key(new Ipv4((int) addressField.get(segment, 0L)), (int) prefixlen.get(segment, 0L));
        }
    };
}
