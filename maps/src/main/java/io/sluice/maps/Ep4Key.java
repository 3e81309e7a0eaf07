package io.sluice.maps;

import static io.sluice.maps.Layouts.BE32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A local pod's IPv4 address: C {@code struct ep4_key}, the key of {@code endpoints4} and the value of
 * {@code ep4_by_ifindex}.
 */
public record Ep4Key(Ipv4 address) {

    /** The codec of {@code struct ep4_key}. */
    public static final StructCodec<Ep4Key> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(BE32.withName("address"));
        private final VarHandle addressField = Layouts.field(layout, "address");

        @Override
        public String cName() {
            return "ep4_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Ep4Key value, MemorySegment segment) {
            addressField.set(segment, 0L, value.address().bits());
        }

        @Override
        public Ep4Key decode(MemorySegment segment) {
            return new Ep4Key(new Ipv4((int) addressField.get(segment, 0L)));
        }
    };
}
