package io.sluice.maps;

import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U32;
import static io.sluice.maps.Layouts.U64;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A client of a service with session affinity: C {@code struct lb4_affinity_key}. Exactly one client field is
 * set: the socket programs key by the client's network namespace cookie, the packet programs by its source
 * address.
 * <pre>
 *  0              8              12          16
 *  +--------------+--------------+-----------+
 *  | netns_cookie |client_address| service_id|
 *  +--------------+--------------+-----------+
 * </pre>
 */
public record Lb4AffinityKey(long netnsCookie, Ipv4 clientAddress, int serviceId) {

    /** The key the packet programs use: a client by its source address. */
    public static Lb4AffinityKey ofAddress(Ipv4 clientAddress, int serviceId) {
        return new Lb4AffinityKey(0, clientAddress, serviceId);
    }

    /** The key the socket programs use: a client by its network namespace (cookies start at 1). */
    public static Lb4AffinityKey ofNetns(long netnsCookie, int serviceId) {
        if (netnsCookie == 0) {
            throw new IllegalArgumentException("lb4_affinity_key.netns_cookie of service " + serviceId
                    + " must not be 0 (the kernel's network namespace cookies start at 1)");
        }
        return new Lb4AffinityKey(netnsCookie, new Ipv4(0), serviceId);
    }

    /** The codec of {@code struct lb4_affinity_key}. */
    public static final StructCodec<Lb4AffinityKey> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U64.withName("netns_cookie"),
                BE32.withName("client_address"),
                U32.withName("service_id"));
        private final VarHandle netnsCookie = Layouts.field(layout, "netns_cookie");
        private final VarHandle clientAddress = Layouts.field(layout, "client_address");
        private final VarHandle serviceId = Layouts.field(layout, "service_id");

        @Override
        public String cName() {
            return "lb4_affinity_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4AffinityKey value, MemorySegment segment) {
            netnsCookie.set(segment, 0L, value.netnsCookie());
            clientAddress.set(segment, 0L, value.clientAddress().bits());
            serviceId.set(segment, 0L, value.serviceId());
        }

        @Override
        public Lb4AffinityKey decode(MemorySegment segment) {
            return new Lb4AffinityKey((long) netnsCookie.get(segment, 0L), new Ipv4((int) clientAddress.get(segment, 0L)),
                    (int) serviceId.get(segment, 0L));
        }
    };
}
