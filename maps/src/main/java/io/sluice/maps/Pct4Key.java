package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A flow of the policy conntrack, as its first packet went (after service translation): C
 * {@code struct pct4_key}. ICMP echo flows carry the identifier as source port of the request.
 */
public record Pct4Key(Ipv4 source, Ipv4 destination, int sourcePort, int destinationPort, int protocol) {

    public Pct4Key {
        Layouts.checkUnsigned("pct4_key.sport", sourcePort, 16);
        Layouts.checkUnsigned("pct4_key.dport", destinationPort, 16);
        Layouts.checkUnsigned("pct4_key.proto", protocol, 8);
    }

    /** The codec of {@code struct pct4_key}. */
    public static final StructCodec<Pct4Key> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("saddr"),
                BE32.withName("daddr"),
                BE16.withName("sport"),
                BE16.withName("dport"),
                U8.withName("proto"),
                Layouts.padding("pad", 3));
        private final VarHandle saddr = Layouts.field(layout, "saddr");
        private final VarHandle daddr = Layouts.field(layout, "daddr");
        private final VarHandle sport = Layouts.field(layout, "sport");
        private final VarHandle dport = Layouts.field(layout, "dport");
        private final VarHandle proto = Layouts.field(layout, "proto");

        @Override
        public String cName() {
            return "pct4_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Pct4Key value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            saddr.set(segment, 0L, value.source().bits());
            daddr.set(segment, 0L, value.destination().bits());
            sport.set(segment, 0L, (short) value.sourcePort());
            dport.set(segment, 0L, (short) value.destinationPort());
            proto.set(segment, 0L, (byte) value.protocol());
        }

        @Override
        public Pct4Key decode(MemorySegment segment) {
            return new Pct4Key(new Ipv4((int) saddr.get(segment, 0L)), new Ipv4((int) daddr.get(segment, 0L)),
                    Layouts.u16((short) sport.get(segment, 0L)), Layouts.u16((short) dport.get(segment, 0L)),
                    Layouts.u8((byte) proto.get(segment, 0L)));
        }
    };
}
