package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A conntrack entry: C {@code struct ct4_entry}. For a forward service entry ({@code CT_F_SERVICE}) the
 * NAT address is the backend; for a reply entry ({@code CT_F_REPLY}) it is the frontend. With
 * {@code CT_F_SNAT} the peer is the flow's new source (forward entry) or the client to restore as destination
 * (reply entry); otherwise it is zero.
 * <pre>
 *  0      4      6     7    8          12         16     20     22    24
 *  +------+------+-----+----+----------+----------+------+------+-----+
 *  | nat  | nat  |flags|pad |backend_id|service_id| peer | peer |pad2 |
 *  | addr | port |     |    |          |          | addr | port |     |
 *  +------+------+-----+----+----------+----------+------+------+-----+
 * </pre>
 */
public record Ct4Entry(Ipv4 natAddress, int natPort, int flags, int backendId, int serviceId, Ipv4 peerAddress,
        int peerPort) {

    public Ct4Entry {
        Layouts.checkUnsigned("ct4_entry.nat_port", natPort, 16);
        Layouts.checkUnsigned("ct4_entry.flags", flags, 8);
        Layouts.checkUnsigned("ct4_entry.peer_port", peerPort, 16);
    }

    /** An entry without a peer (no source NAT). */
    public Ct4Entry(Ipv4 natAddress, int natPort, int flags, int backendId, int serviceId) {
        this(natAddress, natPort, flags, backendId, serviceId, new Ipv4(0), 0);
    }

    /** Whether all of {@code flag}'s bits ({@code CT_F_*}) are set. */
    public boolean has(int flag) {
        return (flags & flag) == flag;
    }

    /** The codec of {@code struct ct4_entry}. */
    public static final StructCodec<Ct4Entry> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("nat_address"),
                BE16.withName("nat_port"),
                U8.withName("flags"),
                U8.withName("pad"),
                U32.withName("backend_id"),
                U32.withName("service_id"),
                BE32.withName("peer_address"),
                BE16.withName("peer_port"),
                Layouts.padding("pad2", 2));
        private final VarHandle natAddress = Layouts.field(layout, "nat_address");
        private final VarHandle natPort = Layouts.field(layout, "nat_port");
        private final VarHandle flags = Layouts.field(layout, "flags");
        private final VarHandle pad = Layouts.field(layout, "pad");
        private final VarHandle backendId = Layouts.field(layout, "backend_id");
        private final VarHandle serviceId = Layouts.field(layout, "service_id");
        private final VarHandle peerAddress = Layouts.field(layout, "peer_address");
        private final VarHandle peerPort = Layouts.field(layout, "peer_port");

        @Override
        public String cName() {
            return "ct4_entry";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Ct4Entry value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            natAddress.set(segment, 0L, value.natAddress().bits());
            natPort.set(segment, 0L, (short) value.natPort());
            flags.set(segment, 0L, (byte) value.flags());
            pad.set(segment, 0L, (byte) 0);
            backendId.set(segment, 0L, value.backendId());
            serviceId.set(segment, 0L, value.serviceId());
            peerAddress.set(segment, 0L, value.peerAddress().bits());
            peerPort.set(segment, 0L, (short) value.peerPort());
        }

        @Override
        public Ct4Entry decode(MemorySegment segment) {
            return new Ct4Entry(new Ipv4((int) natAddress.get(segment, 0L)), Layouts.u16((short) natPort.get(segment, 0L)),
                    Layouts.u8((byte) flags.get(segment, 0L)), (int) backendId.get(segment, 0L),
                    (int) serviceId.get(segment, 0L), new Ipv4((int) peerAddress.get(segment, 0L)),
                    Layouts.u16((short) peerPort.get(segment, 0L)));
        }
    };
}
