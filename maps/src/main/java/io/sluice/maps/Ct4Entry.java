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
 * NAT address is the backend; for a reply entry ({@code CT_F_REPLY}) it is the frontend.
 */
public record Ct4Entry(Ipv4 natAddress, int natPort, int flags, int backendId, int serviceId) {

    public Ct4Entry {
        Layouts.checkUnsigned("ct4_entry.nat_port", natPort, 16);
        Layouts.checkUnsigned("ct4_entry.flags", flags, 8);
    }

    /** The codec of {@code struct ct4_entry}. */
    public static final StructCodec<Ct4Entry> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("nat_address"),
                BE16.withName("nat_port"),
                U8.withName("flags"),
                U8.withName("pad"),
                U32.withName("backend_id"),
                U32.withName("service_id"));
        private final VarHandle natAddress = Layouts.field(layout, "nat_address");
        private final VarHandle natPort = Layouts.field(layout, "nat_port");
        private final VarHandle flags = Layouts.field(layout, "flags");
        private final VarHandle pad = Layouts.field(layout, "pad");
        private final VarHandle backendId = Layouts.field(layout, "backend_id");
        private final VarHandle serviceId = Layouts.field(layout, "service_id");

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
            natAddress.set(segment, 0L, value.natAddress().bits());
            natPort.set(segment, 0L, (short) value.natPort());
            flags.set(segment, 0L, (byte) value.flags());
            pad.set(segment, 0L, (byte) 0);
            backendId.set(segment, 0L, value.backendId());
            serviceId.set(segment, 0L, value.serviceId());
        }

        @Override
        public Ct4Entry decode(MemorySegment segment) {
            return new Ct4Entry(new Ipv4((int) natAddress.get(segment, 0L)), Layouts.u16((short) natPort.get(segment, 0L)),
                    Layouts.u8((byte) flags.get(segment, 0L)), (int) backendId.get(segment, 0L),
                    (int) serviceId.get(segment, 0L));
        }
    };
}
