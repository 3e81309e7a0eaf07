package io.sluice.maps;

import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** The value of a policy entry: C {@code struct policy4_value}; NetworkPolicy only allows, so always ALLOW. */
public record Policy4Value(int verdict) {
    /** The value of every entry. */
    public static final Policy4Value ALLOW = new Policy4Value(PolicyConstants.POLICY_VERDICT_ALLOW);

    public Policy4Value {
        Layouts.checkUnsigned("policy4_value.verdict", verdict, 8);
    }

    /** The codec of {@code struct policy4_value}. */
    public static final StructCodec<Policy4Value> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U8.withName("verdict"),
                Layouts.padding("pad", 3));
        private final VarHandle verdictField = Layouts.field(layout, "verdict");

        @Override
        public String cName() {
            return "policy4_value";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Policy4Value value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            verdictField.set(segment, 0L, (byte) value.verdict());
        }

        @Override
        public Policy4Value decode(MemorySegment segment) {
            return new Policy4Value(Layouts.u8((byte) verdictField.get(segment, 0L)));
        }
    };
}
