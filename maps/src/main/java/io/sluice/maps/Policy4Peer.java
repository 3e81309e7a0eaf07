package io.sluice.maps;

import static io.sluice.maps.Layouts.U32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * What {@code policy4_allow} holds for one {@link Policy4PeerKey}: C {@code struct policy4_peer}. Bit {@code n} of a
 * protocol's mask says that an entry of that protocol with {@code n} port bits exists (n = 0..16); the flag
 * {@link PolicyConstants#POLICY4_PEER_F_ANY_PROTOCOL} that an entry for every protocol does. The programs probe
 * {@code policy4_allow} only for those.
 * <pre>
 *  0               4               8                12      16
 *  +---------------+---------------+----------------+-------+
 *  | tcp_port_bits | udp_port_bits | sctp_port_bits | flags |
 *  +---------------+---------------+----------------+-------+
 * </pre>
 */
public record Policy4Peer(int tcpPortBits, int udpPortBits, int sctpPortBits, int flags) {
    /** The IP protocols that entries with ports may have (NetworkPolicy's TCP, UDP and SCTP). */
    static final int TCP = 6;
    static final int UDP = 17;
    static final int SCTP = 132;
    private static final int PORT_BITS_MASK = (1 << 17) - 1;

    public Policy4Peer {
        for (int mask : new int[] {tcpPortBits, udpPortBits, sctpPortBits}) {
            if ((mask & ~PORT_BITS_MASK) != 0) {
                throw new IllegalArgumentException("policy4_peer: port_bits mask 0x" + Integer.toHexString(mask)
                        + " has bits above 16");
            }
        }
    }

    /** The bit of this summary that {@code entry} needs, as a position in {@link #bits()} (0..51). */
    static int bitOf(Policy4Key entry) {
        if (entry.isAnyProtocol()) {
            return 51;
        }
        return switch (entry.protocol()) {
            case TCP -> entry.portPrefixLength();
            case UDP -> 17 + entry.portPrefixLength();
            case SCTP -> 34 + entry.portPrefixLength();
            default -> throw new IllegalArgumentException("policy4_key.protocol = " + entry.protocol() + " in " + entry
                    + ": entries with ports are TCP (6), UDP (17) or SCTP (132) only");
        };
    }

    /** This summary as one bit set: bits 0..16 TCP, 17..33 UDP, 34..50 SCTP, 51 every protocol. */
    long bits() {
        return (long) tcpPortBits | (long) udpPortBits << 17 | (long) sctpPortBits << 34
                | ((flags & PolicyConstants.POLICY4_PEER_F_ANY_PROTOCOL) != 0 ? 1L << 51 : 0);
    }

    /** The summary of a bit set made by {@link #bits()}. */
    static Policy4Peer ofBits(long bits) {
        return new Policy4Peer((int) (bits & PORT_BITS_MASK), (int) (bits >>> 17 & PORT_BITS_MASK),
                (int) (bits >>> 34 & PORT_BITS_MASK), (bits & 1L << 51) != 0 ? PolicyConstants.POLICY4_PEER_F_ANY_PROTOCOL : 0);
    }

    /** The codec of {@code struct policy4_peer}. */
    public static final StructCodec<Policy4Peer> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U32.withName("tcp_port_bits"),
                U32.withName("udp_port_bits"),
                U32.withName("sctp_port_bits"),
                U32.withName("flags"));
        private final VarHandle tcp = Layouts.field(layout, "tcp_port_bits");
        private final VarHandle udp = Layouts.field(layout, "udp_port_bits");
        private final VarHandle sctp = Layouts.field(layout, "sctp_port_bits");
        private final VarHandle flagsField = Layouts.field(layout, "flags");

        @Override
        public String cName() {
            return "policy4_peer";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Policy4Peer value, MemorySegment segment) {
            tcp.set(segment, 0L, value.tcpPortBits());
            udp.set(segment, 0L, value.udpPortBits());
            sctp.set(segment, 0L, value.sctpPortBits());
            flagsField.set(segment, 0L, value.flags());
        }

        @Override
        public Policy4Peer decode(MemorySegment segment) {
            return new Policy4Peer((int) tcp.get(segment, 0L), (int) udp.get(segment, 0L), (int) sctp.get(segment, 0L),
                    (int) flagsField.get(segment, 0L));
        }
    };
}
