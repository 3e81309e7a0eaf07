package io.sluice.maps;

import static io.sluice.maps.Layouts.U32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * The single entry of {@code policy4_state}: C {@code struct policy4_state}. The programs trust a flow's cached
 * verdict only when it was reached under this revision; 0 means "never trust" (every packet is checked).
 */
public record Policy4State(int revision) {

    /** The revision after this one, skipping 0 when it wraps. */
    public Policy4State next() {
        int n = revision + 1;
        return new Policy4State(n == 0 ? 1 : n);
    }

    /** The codec of {@code struct policy4_state}. */
    public static final StructCodec<Policy4State> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U32.withName("revision"),
                U32.withName("pad"));
        private final VarHandle revisionField = Layouts.field(layout, "revision");

        @Override
        public String cName() {
            return "policy4_state";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Policy4State value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            revisionField.set(segment, 0L, value.revision());
        }

        @Override
        public Policy4State decode(MemorySegment segment) {
            return new Policy4State((int) revisionField.get(segment, 0L));
        }
    };
}
