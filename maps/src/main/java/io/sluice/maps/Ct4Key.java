package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A flow in the direction of the packet looked up: C {@code struct ct4_key}.
 * <pre>
 *  0       4       8       10      12    13    16
 *  +-------+-------+-------+-------+-----+-----+
 *  | saddr | daddr | sport | dport |proto| pad |
 *  +-------+-------+-------+-------+-----+-----+
 * </pre>
 */
public record Ct4Key(Ipv4 source, Ipv4 destination, int sourcePort, int destinationPort, IpProtocol protocol) {

    public Ct4Key {
        Layouts.checkUnsigned("ct4_key.sport", sourcePort, 16);
        Layouts.checkUnsigned("ct4_key.dport", destinationPort, 16);
    }

    /** The codec of {@code struct ct4_key}. */
    public static final StructCodec<Ct4Key> CODEC = new StructCodec<>() {
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
            return "ct4_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Ct4Key value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            saddr.set(segment, 0L, value.source().bits());
            daddr.set(segment, 0L, value.destination().bits());
            sport.set(segment, 0L, (short) value.sourcePort());
            dport.set(segment, 0L, (short) value.destinationPort());
            proto.set(segment, 0L, (byte) value.protocol().number());
        }

        @Override
        public Ct4Key decode(MemorySegment segment) {
            return new Ct4Key(new Ipv4((int) saddr.get(segment, 0L)), new Ipv4((int) daddr.get(segment, 0L)),
                    Layouts.u16((short) sport.get(segment, 0L)), Layouts.u16((short) dport.get(segment, 0L)),
                    IpProtocol.of(Layouts.u8((byte) proto.get(segment, 0L))));
        }
    };
}
