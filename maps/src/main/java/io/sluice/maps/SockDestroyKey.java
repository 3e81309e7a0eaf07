package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A backend that left a frontend, as the socket iterator looks it up: C {@code struct sock_destroy_key}. A connected
 * UDP socket that the socket programs sent from {@code frontend} to {@code backend} is destroyed. IPv4 addresses are
 * held IPv4-mapped ({@code ::ffff:a.b.c.d}, see {@link #ofIpv4}), as a dual-stack socket holds an IPv4 peer.
 */
public record SockDestroyKey(Ipv6 frontend, int frontendPort, Ipv6 backend, int backendPort) {

    public SockDestroyKey {
        if (frontend == null || backend == null) {
            throw new IllegalArgumentException("sock_destroy_key: frontend and backend addresses are required");
        }
        Layouts.checkUnsigned("sock_destroy_key.frontend_port", frontendPort, 16);
        Layouts.checkUnsigned("sock_destroy_key.backend_port", backendPort, 16);
    }

    /** The key of an IPv4 frontend and backend. */
    public static SockDestroyKey ofIpv4(Ipv4 frontend, int frontendPort, Ipv4 backend, int backendPort) {
        return new SockDestroyKey(Ipv6.mapped(frontend), frontendPort, Ipv6.mapped(backend), backendPort);
    }

    /** The codec of {@code struct sock_destroy_key}. */
    public static final StructCodec<SockDestroyKey> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                Layouts.byteArray("frontend", 16),
                Layouts.byteArray("backend", 16),
                BE16.withName("frontend_port"),
                BE16.withName("backend_port"));
        private final VarHandle frontendPort = Layouts.field(layout, "frontend_port");
        private final VarHandle backendPort = Layouts.field(layout, "backend_port");

        @Override
        public String cName() {
            return "sock_destroy_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(SockDestroyKey value, MemorySegment segment) {
            value.frontend().write(segment, 0);
            value.backend().write(segment, 16);
            frontendPort.set(segment, 0L, (short) value.frontendPort());
            backendPort.set(segment, 0L, (short) value.backendPort());
        }

        @Override
        public SockDestroyKey decode(MemorySegment segment) {
            return new SockDestroyKey(Ipv6.read(segment, 0), Layouts.u16((short) frontendPort.get(segment, 0L)),
                    Ipv6.read(segment, 16), Layouts.u16((short) backendPort.get(segment, 0L)));
        }
    };
}
