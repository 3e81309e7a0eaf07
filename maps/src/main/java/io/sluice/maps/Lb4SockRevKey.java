package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U64;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** Which backend a socket was sent to: C {@code struct lb4_sock_rev_key} (socket cookie, backend address). */
public record Lb4SockRevKey(long cookie, Ipv4 backendAddress, int backendPort) {

    public Lb4SockRevKey {
        Layouts.checkUnsigned("lb4_sock_rev_key.port", backendPort, 16);
    }

    /** The codec of {@code struct lb4_sock_rev_key}. */
    public static final StructCodec<Lb4SockRevKey> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U64.withName("cookie"),
                BE32.withName("address"),
                BE16.withName("port"),
                Layouts.padding("pad", 2));
        private final VarHandle cookie = Layouts.field(layout, "cookie");
        private final VarHandle address = Layouts.field(layout, "address");
        private final VarHandle port = Layouts.field(layout, "port");

        @Override
        public String cName() {
            return "lb4_sock_rev_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4SockRevKey value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            cookie.set(segment, 0L, value.cookie());
            address.set(segment, 0L, value.backendAddress().bits());
            port.set(segment, 0L, (short) value.backendPort());
        }

        @Override
        public Lb4SockRevKey decode(MemorySegment segment) {
            return new Lb4SockRevKey((long) cookie.get(segment, 0L), new Ipv4((int) address.get(segment, 0L)),
                    Layouts.u16((short) port.get(segment, 0L)));
        }
    };
}
