package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * The key of {@code policy4_peers}: C {@code struct policy4_peer_key}, one (endpoint, direction, peer identity).
 * <pre>
 *  0             2         3     4          8
 *  +-------------+---------+-----+----------+
 *  | endpoint_id |direction| pad | identity |
 *  +-------------+---------+-----+----------+
 * </pre>
 *
 * @param endpointId the local endpoint, 0..65535
 * @param direction  seen from the endpoint
 * @param identity   the peer's identity, or {@link PolicyConstants#IDENTITY_ANY}
 */
public record Policy4PeerKey(int endpointId, PolicyDirection direction, int identity) {

    public Policy4PeerKey {
        Layouts.checkUnsigned("policy4_peer_key.endpoint_id", endpointId, 16);
    }

    /** The peer an entry belongs to. */
    public static Policy4PeerKey of(Policy4Key entry) {
        return new Policy4PeerKey(entry.endpointId(), entry.direction(), entry.identity());
    }

    // Written out: a hot map key (see Policy4Key).
    @Override
    public boolean equals(Object o) {
        return o instanceof Policy4PeerKey k && endpointId == k.endpointId && direction == k.direction
                && identity == k.identity;
    }

    @Override
    public int hashCode() {
        return (31 * endpointId + direction.ordinal()) * 31 + identity;
    }

    /** The codec of {@code struct policy4_peer_key}. */
    public static final StructCodec<Policy4PeerKey> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE16.withName("endpoint_id"),
                U8.withName("direction"),
                U8.withName("pad"),
                BE32.withName("identity"));
        private final VarHandle endpointIdField = Layouts.field(layout, "endpoint_id");
        private final VarHandle directionField = Layouts.field(layout, "direction");
        private final VarHandle identityField = Layouts.field(layout, "identity");

        @Override
        public String cName() {
            return "policy4_peer_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Policy4PeerKey value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            endpointIdField.set(segment, 0L, (short) value.endpointId());
            directionField.set(segment, 0L, (byte) value.direction().value());
            identityField.set(segment, 0L, value.identity());
        }

        @Override
        public Policy4PeerKey decode(MemorySegment segment) {
            return new Policy4PeerKey(Layouts.u16((short) endpointIdField.get(segment, 0L)),
                    PolicyDirection.of("policy4_peer_key.direction", Layouts.u8((byte) directionField.get(segment, 0L))),
                    (int) identityField.get(segment, 0L));
        }
    };
}
