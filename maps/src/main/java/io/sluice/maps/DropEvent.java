package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U16;
import static io.sluice.maps.Layouts.U32;
import static io.sluice.maps.Layouts.U64;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A dropped packet as reported on the ring buffer {@code sluice_events}: C {@code struct drop_event}. For a
 * policy drop the addresses and ports are those of the flow's first packet (so a denied reply shows the flow it
 * belongs to), and the direction says which check denied it.
 * <pre>
 *  0    1      2         3     4        8             16    20    24    26    28      32      36       38      39  40
 *  +----+------+---------+-----+--------+-------------+-----+-----+-----+-----+-------+-------+--------+-------+---+
 *  |kind|reason|direction|proto|ifindex |timestamp_ns |saddr|daddr|sport|dport|src_id |dst_id |endpoint|verdict|pad|
 *  +----+------+---------+-----+--------+-------------+-----+-----+-----+-----+-------+-------+--------+-------+---+
 * </pre>
 *
 * @param timestampNanos CLOCK_MONOTONIC when the program dropped the packet
 * @param endpointId     the local endpoint, 0 when none is known (a spoofed packet from an unknown veth)
 */
public record DropEvent(DropReason reason, PolicyDirection direction, int protocol, int ifindex, long timestampNanos,
                        Ipv4 source, Ipv4 destination, int sourcePort, int destinationPort, int sourceIdentity,
                        int destinationIdentity, int endpointId, int verdict) {

    /** Size of one record. */
    public static final int SIZE = 40;

    /** One line for logs and {@code sluice monitor}. */
    public String describe() {
        return "drop " + reason.label() + " " + direction.name().toLowerCase(java.util.Locale.ROOT)
                + " " + protocolName(protocol) + " " + source + ":" + sourcePort + " -> " + destination + ":" + destinationPort
                + " identity " + Integer.toUnsignedString(sourceIdentity) + " -> " + Integer.toUnsignedString(destinationIdentity)
                + " endpoint " + endpointId + " ifindex " + ifindex;
    }

    private static String protocolName(int protocol) {
        return switch (protocol) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 132 -> "sctp";
            default -> "proto-" + protocol;
        };
    }

    /** The codec of {@code struct drop_event}. Decoding refuses a record of another kind, naming the field. */
    public static final StructCodec<DropEvent> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U8.withName("kind"),
                U8.withName("reason"),
                U8.withName("direction"),
                U8.withName("proto"),
                U32.withName("ifindex"),
                U64.withName("timestamp_ns"),
                BE32.withName("saddr"),
                BE32.withName("daddr"),
                BE16.withName("sport"),
                BE16.withName("dport"),
                U32.withName("src_identity"),
                U32.withName("dst_identity"),
                U16.withName("endpoint_id"),
                U8.withName("verdict"),
                U8.withName("pad"));
        private final VarHandle kind = Layouts.field(layout, "kind");
        private final VarHandle reasonField = Layouts.field(layout, "reason");
        private final VarHandle directionField = Layouts.field(layout, "direction");
        private final VarHandle proto = Layouts.field(layout, "proto");
        private final VarHandle ifindexField = Layouts.field(layout, "ifindex");
        private final VarHandle timestamp = Layouts.field(layout, "timestamp_ns");
        private final VarHandle saddr = Layouts.field(layout, "saddr");
        private final VarHandle daddr = Layouts.field(layout, "daddr");
        private final VarHandle sport = Layouts.field(layout, "sport");
        private final VarHandle dport = Layouts.field(layout, "dport");
        private final VarHandle srcIdentity = Layouts.field(layout, "src_identity");
        private final VarHandle dstIdentity = Layouts.field(layout, "dst_identity");
        private final VarHandle endpoint = Layouts.field(layout, "endpoint_id");
        private final VarHandle verdictField = Layouts.field(layout, "verdict");

        @Override
        public String cName() {
            return "drop_event";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(DropEvent value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            kind.set(segment, 0L, (byte) PolicyConstants.EVENT_KIND_DROP);
            reasonField.set(segment, 0L, (byte) value.reason().value());
            directionField.set(segment, 0L, (byte) value.direction().value());
            proto.set(segment, 0L, (byte) value.protocol());
            ifindexField.set(segment, 0L, value.ifindex());
            timestamp.set(segment, 0L, value.timestampNanos());
            saddr.set(segment, 0L, value.source().bits());
            daddr.set(segment, 0L, value.destination().bits());
            sport.set(segment, 0L, (short) value.sourcePort());
            dport.set(segment, 0L, (short) value.destinationPort());
            srcIdentity.set(segment, 0L, value.sourceIdentity());
            dstIdentity.set(segment, 0L, value.destinationIdentity());
            endpoint.set(segment, 0L, (short) value.endpointId());
            verdictField.set(segment, 0L, (byte) value.verdict());
        }

        @Override
        public DropEvent decode(MemorySegment segment) {
            if (segment.byteSize() < SIZE) {
                throw new IllegalArgumentException("drop_event: record of " + segment.byteSize() + " bytes, expected " + SIZE);
            }
            int k = Layouts.u8((byte) kind.get(segment, 0L));
            if (k != PolicyConstants.EVENT_KIND_DROP) {
                throw new IllegalArgumentException("drop_event.kind = " + k + ", expected EVENT_KIND_DROP ("
                        + PolicyConstants.EVENT_KIND_DROP + ")");
            }
            return new DropEvent(DropReason.of(Layouts.u8((byte) reasonField.get(segment, 0L))),
                    PolicyDirection.of("drop_event.direction", Layouts.u8((byte) directionField.get(segment, 0L))),
                    Layouts.u8((byte) proto.get(segment, 0L)), (int) ifindexField.get(segment, 0L),
                    (long) timestamp.get(segment, 0L), new Ipv4((int) saddr.get(segment, 0L)),
                    new Ipv4((int) daddr.get(segment, 0L)), Layouts.u16((short) sport.get(segment, 0L)),
                    Layouts.u16((short) dport.get(segment, 0L)), (int) srcIdentity.get(segment, 0L),
                    (int) dstIdentity.get(segment, 0L), Layouts.u16((short) endpoint.get(segment, 0L)),
                    Layouts.u8((byte) verdictField.get(segment, 0L)));
        }
    };
}
