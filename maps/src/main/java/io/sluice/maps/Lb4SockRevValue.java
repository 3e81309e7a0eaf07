package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** The frontend a socket addressed: C {@code struct lb4_sock_rev_value}. */
public record Lb4SockRevValue(Ipv4 frontendAddress, int frontendPort) {

    public Lb4SockRevValue {
        Layouts.checkUnsigned("lb4_sock_rev_value.port", frontendPort, 16);
    }

    /** The codec of {@code struct lb4_sock_rev_value}. */
    public static final StructCodec<Lb4SockRevValue> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("address"),
                BE16.withName("port"),
                Layouts.padding("pad", 2));
        private final VarHandle address = Layouts.field(layout, "address");
        private final VarHandle port = Layouts.field(layout, "port");

        @Override
        public String cName() {
            return "lb4_sock_rev_value";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4SockRevValue value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            address.set(segment, 0L, value.frontendAddress().bits());
            port.set(segment, 0L, (short) value.frontendPort());
        }

        @Override
        public Lb4SockRevValue decode(MemorySegment segment) {
            return new Lb4SockRevValue(new Ipv4((int) address.get(segment, 0L)), Layouts.u16((short) port.get(segment, 0L)));
        }
    };
}
