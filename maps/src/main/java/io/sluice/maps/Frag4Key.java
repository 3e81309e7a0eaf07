package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** A fragmented IPv4 datagram (addresses, IP identification, protocol): C {@code struct frag4_key}. */
public record Frag4Key(Ipv4 source, Ipv4 destination, int id, int protocol) {

    public Frag4Key {
        Layouts.checkUnsigned("frag4_key.id", id, 16);
        Layouts.checkUnsigned("frag4_key.proto", protocol, 8);
    }

    /** The codec of {@code struct frag4_key}. */
    public static final StructCodec<Frag4Key> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("saddr"),
                BE32.withName("daddr"),
                BE16.withName("id"),
                U8.withName("proto"),
                U8.withName("pad"));
        private final VarHandle saddr = Layouts.field(layout, "saddr");
        private final VarHandle daddr = Layouts.field(layout, "daddr");
        private final VarHandle idField = Layouts.field(layout, "id");
        private final VarHandle proto = Layouts.field(layout, "proto");

        @Override
        public String cName() {
            return "frag4_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Frag4Key value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            saddr.set(segment, 0L, value.source().bits());
            daddr.set(segment, 0L, value.destination().bits());
            idField.set(segment, 0L, (short) value.id());
            proto.set(segment, 0L, (byte) value.protocol());
        }

        @Override
        public Frag4Key decode(MemorySegment segment) {
            return new Frag4Key(new Ipv4((int) saddr.get(segment, 0L)), new Ipv4((int) daddr.get(segment, 0L)),
                    Layouts.u16((short) idField.get(segment, 0L)), Layouts.u8((byte) proto.get(segment, 0L)));
        }
    };
}
