package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.U64;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** Which IPv6 backend a socket was sent to: C {@code struct lb6_sock_rev_key} (socket cookie, backend address). */
public record Lb6SockRevKey(long cookie, Ipv6 backendAddress, int backendPort) {

    public Lb6SockRevKey {
        Layouts.checkUnsigned("lb6_sock_rev_key.port", backendPort, 16);
    }

    /** The codec of {@code struct lb6_sock_rev_key}. */
    public static final StructCodec<Lb6SockRevKey> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U64.withName("cookie"),
                Layouts.byteArray("address", 16),
                BE16.withName("port"),
                Layouts.padding("pad", 6));
        private final VarHandle cookie = Layouts.field(layout, "cookie");
        private final VarHandle port = Layouts.field(layout, "port");

        @Override
        public String cName() {
            return "lb6_sock_rev_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb6SockRevKey value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            cookie.set(segment, 0L, value.cookie());
            value.backendAddress().write(segment, 8);
            port.set(segment, 0L, (short) value.backendPort());
        }

        @Override
        public Lb6SockRevKey decode(MemorySegment segment) {
            return new Lb6SockRevKey((long) cookie.get(segment, 0L), Ipv6.read(segment, 8),
                    Layouts.u16((short) port.get(segment, 0L)));
        }
    };
}
