package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * An IPv6 backend's address: C {@code struct lb6_backend}, the value of {@code lb6_backends} (key: backend id).
 * {@code flags} are the {@code LB_BACKEND_F_*} bits of {@link DatapathConstants}.
 */
public record Lb6Backend(Ipv6 address, int port, IpProtocol protocol, int flags) {

    public Lb6Backend {
        Layouts.checkUnsigned("lb6_backend.port", port, 16);
        Layouts.checkUnsigned("lb6_backend.flags", flags, 8);
    }

    /** The codec of {@code struct lb6_backend}. */
    public static final StructCodec<Lb6Backend> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                Layouts.byteArray("address", 16),
                BE16.withName("port"),
                U8.withName("proto"),
                U8.withName("flags"));
        private final VarHandle port = Layouts.field(layout, "port");
        private final VarHandle proto = Layouts.field(layout, "proto");
        private final VarHandle flags = Layouts.field(layout, "flags");

        @Override
        public String cName() {
            return "lb6_backend";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb6Backend value, MemorySegment segment) {
            value.address().write(segment, 0);
            port.set(segment, 0L, (short) value.port());
            proto.set(segment, 0L, (byte) value.protocol().number());
            flags.set(segment, 0L, (byte) value.flags());
        }

        @Override
        public Lb6Backend decode(MemorySegment segment) {
            return new Lb6Backend(Ipv6.read(segment, 0), Layouts.u16((short) port.get(segment, 0L)),
                    IpProtocol.of(Layouts.u8((byte) proto.get(segment, 0L))), Layouts.u8((byte) flags.get(segment, 0L)));
        }
    };
}
