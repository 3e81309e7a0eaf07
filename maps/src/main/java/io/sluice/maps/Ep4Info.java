package io.sluice.maps;

import static io.sluice.maps.Layouts.U16;
import static io.sluice.maps.Layouts.U32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A local pod as the policy programs know it: C {@code struct ep4_info}, the value of {@code endpoints4}.
 * <pre>
 *  0          4         8             10    11   12
 *  +----------+---------+-------------+-----+----+
 *  | identity | ifindex | endpoint_id |flags|pad |
 *  +----------+---------+-------------+-----+----+
 * </pre>
 *
 * @param identity   the pod's own security identity
 * @param ifindex    its host-side veth, or 0 when unknown (then only its address is checked against spoofing)
 * @param endpointId the endpoint field of its policy4 keys, 1..65535
 * @param flags      {@code EP_F_*}
 */
public record Ep4Info(int identity, int ifindex, int endpointId, int flags) {

    public Ep4Info {
        Layouts.checkUnsigned("ep4_info.endpoint_id", endpointId, 16);
        Layouts.checkUnsigned("ep4_info.flags", flags, 8);
    }

    /** Whether the endpoint enforces {@code direction}. */
    public boolean enforces(PolicyDirection direction) {
        return (flags & flagOf(direction)) != 0;
    }

    /** The same endpoint with other flags. */
    public Ep4Info withFlags(int newFlags) {
        return new Ep4Info(identity, ifindex, endpointId, newFlags);
    }

    /** The {@code EP_F_*_ENFORCED} flag of a direction. */
    public static int flagOf(PolicyDirection direction) {
        return direction == PolicyDirection.INGRESS ? PolicyConstants.EP_F_INGRESS_ENFORCED
                : PolicyConstants.EP_F_EGRESS_ENFORCED;
    }

    /** The codec of {@code struct ep4_info}. */
    public static final StructCodec<Ep4Info> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U32.withName("identity"),
                U32.withName("ifindex"),
                U16.withName("endpoint_id"),
                U8.withName("flags"),
                U8.withName("pad"));
        private final VarHandle identityField = Layouts.field(layout, "identity");
        private final VarHandle ifindexField = Layouts.field(layout, "ifindex");
        private final VarHandle endpointIdField = Layouts.field(layout, "endpoint_id");
        private final VarHandle flagsField = Layouts.field(layout, "flags");

        @Override
        public String cName() {
            return "ep4_info";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Ep4Info value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            identityField.set(segment, 0L, value.identity());
            ifindexField.set(segment, 0L, value.ifindex());
            endpointIdField.set(segment, 0L, (short) value.endpointId());
            flagsField.set(segment, 0L, (byte) value.flags());
        }

        @Override
        public Ep4Info decode(MemorySegment segment) {
            return new Ep4Info((int) identityField.get(segment, 0L), (int) ifindexField.get(segment, 0L),
                    Layouts.u16((short) endpointIdField.get(segment, 0L)), Layouts.u8((byte) flagsField.get(segment, 0L)));
        }
    };
}
