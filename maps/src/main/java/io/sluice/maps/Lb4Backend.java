package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** A backend's address: C {@code struct lb4_backend}, the value of {@code lb4_backends} (key: backend id). */
public record Lb4Backend(Ipv4 address, int port, IpProtocol protocol, int flags) {

    public Lb4Backend {
        Layouts.checkUnsigned("lb4_backend.port", port, 16);
        Layouts.checkUnsigned("lb4_backend.flags", flags, 8);
    }

    /**
     * The backend in one {@code long}, laid out as the 8 bytes of {@code struct lb4_backend} (address, port, protocol,
     * flags): for holding 100,000 of them without an object each. Never 0, as no backend has protocol 0.
     */
    public long packed() {
        return (long) address.bits() << 32 | (long) port << 16 | (long) protocol.number() << 8 | flags;
    }

    /** The backend {@link #packed()} gave {@code packed}. */
    public static Lb4Backend unpacked(long packed) {
        return new Lb4Backend(new Ipv4((int) (packed >>> 32)), (int) (packed >>> 16) & 0xffff,
                IpProtocol.of((int) (packed >>> 8) & 0xff), (int) packed & 0xff);
    }

    /** The codec of {@code struct lb4_backend}. */
    public static final StructCodec<Lb4Backend> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("address"),
                BE16.withName("port"),
                U8.withName("proto"),
                U8.withName("flags"));
        private final VarHandle address = Layouts.field(layout, "address");
        private final VarHandle port = Layouts.field(layout, "port");
        private final VarHandle proto = Layouts.field(layout, "proto");
        private final VarHandle flags = Layouts.field(layout, "flags");

        @Override
        public String cName() {
            return "lb4_backend";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4Backend value, MemorySegment segment) {
            address.set(segment, 0L, value.address().bits());
            port.set(segment, 0L, (short) value.port());
            proto.set(segment, 0L, (byte) value.protocol().number());
            flags.set(segment, 0L, (byte) value.flags());
        }

        @Override
        public Lb4Backend decode(MemorySegment segment) {
            return new Lb4Backend(new Ipv4((int) address.get(segment, 0L)),
                    Layouts.u16((short) port.get(segment, 0L)),
                    IpProtocol.of(Layouts.u8((byte) proto.get(segment, 0L))),
                    Layouts.u8((byte) flags.get(segment, 0L)));
        }
    };
}
