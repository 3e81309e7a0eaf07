package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** The ports of a fragmented datagram, from its first fragment: C {@code struct frag4_ports}. */
public record Frag4Ports(int sourcePort, int destinationPort) {

    public Frag4Ports {
        Layouts.checkUnsigned("frag4_ports.sport", sourcePort, 16);
        Layouts.checkUnsigned("frag4_ports.dport", destinationPort, 16);
    }

    /** The codec of {@code struct frag4_ports}. */
    public static final StructCodec<Frag4Ports> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE16.withName("sport"),
                BE16.withName("dport"));
        private final VarHandle sport = Layouts.field(layout, "sport");
        private final VarHandle dport = Layouts.field(layout, "dport");

        @Override
        public String cName() {
            return "frag4_ports";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Frag4Ports value, MemorySegment segment) {
            sport.set(segment, 0L, (short) value.sourcePort());
            dport.set(segment, 0L, (short) value.destinationPort());
        }

        @Override
        public Frag4Ports decode(MemorySegment segment) {
            return new Frag4Ports(Layouts.u16((short) sport.get(segment, 0L)), Layouts.u16((short) dport.get(segment, 0L)));
        }
    };
}
