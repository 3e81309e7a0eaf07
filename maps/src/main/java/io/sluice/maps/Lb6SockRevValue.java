package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** The IPv6 frontend a socket addressed: C {@code struct lb6_sock_rev_value}. */
public record Lb6SockRevValue(Ipv6 frontendAddress, int frontendPort) {

    public Lb6SockRevValue {
        Layouts.checkUnsigned("lb6_sock_rev_value.port", frontendPort, 16);
    }

    /** The codec of {@code struct lb6_sock_rev_value}. */
    public static final StructCodec<Lb6SockRevValue> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                Layouts.byteArray("address", 16),
                BE16.withName("port"),
                Layouts.padding("pad", 2));
        private final VarHandle port = Layouts.field(layout, "port");

        @Override
        public String cName() {
            return "lb6_sock_rev_value";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb6SockRevValue value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            value.frontendAddress().write(segment, 0);
            port.set(segment, 0L, (short) value.frontendPort());
        }

        @Override
        public Lb6SockRevValue decode(MemorySegment segment) {
            return new Lb6SockRevValue(Ipv6.read(segment, 0), Layouts.u16((short) port.get(segment, 0L)));
        }
    };
}
