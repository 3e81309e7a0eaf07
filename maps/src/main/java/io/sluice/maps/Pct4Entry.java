package io.sluice.maps;

import static io.sluice.maps.Layouts.U32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * What the policy conntrack knows of a flow: C {@code struct pct4_entry}. Each revision is the
 * {@code policy4_state} revision under which that side's check admitted the flow, 0 when it has not.
 *
 * @param egressRevision  the source endpoint's egress check
 * @param ingressRevision the destination endpoint's ingress check
 * @param flags           {@code PCT_F_*}
 */
public record Pct4Entry(int egressRevision, int ingressRevision, int flags) {

    public Pct4Entry {
        Layouts.checkUnsigned("pct4_entry.flags", flags, 8);
    }

    /** The codec of {@code struct pct4_entry}. */
    public static final StructCodec<Pct4Entry> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U32.withName("egress_revision"),
                U32.withName("ingress_revision"),
                U8.withName("flags"),
                Layouts.padding("pad", 3));
        private final VarHandle egress = Layouts.field(layout, "egress_revision");
        private final VarHandle ingress = Layouts.field(layout, "ingress_revision");
        private final VarHandle flagsField = Layouts.field(layout, "flags");

        @Override
        public String cName() {
            return "pct4_entry";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Pct4Entry value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            egress.set(segment, 0L, value.egressRevision());
            ingress.set(segment, 0L, value.ingressRevision());
            flagsField.set(segment, 0L, (byte) value.flags());
        }

        @Override
        public Pct4Entry decode(MemorySegment segment) {
            return new Pct4Entry((int) egress.get(segment, 0L), (int) ingress.get(segment, 0L),
                    Layouts.u8((byte) flagsField.get(segment, 0L)));
        }
    };
}
