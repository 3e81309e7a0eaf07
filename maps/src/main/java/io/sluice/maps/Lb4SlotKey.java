package io.sluice.maps;

import static io.sluice.maps.Layouts.U32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** One backend slot of a service: C {@code struct lb4_slot_key}; the map's value is the backend id. */
public record Lb4SlotKey(int serviceId, int slot) {

    /**
     * Hand-written, as the record's would compute it: the generated equals and hashCode go through method handles,
     * slow under C1, and a first sync hashes a key per slot (100,000) into the batch it writes.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Lb4SlotKey other && serviceId == other.serviceId && slot == other.slot;
    }

    @Override
    public int hashCode() {
        return serviceId * 31 + slot;
    }

    /** The codec of {@code struct lb4_slot_key}. */
    public static final StructCodec<Lb4SlotKey> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U32.withName("service_id"),
                U32.withName("slot"));
        private final VarHandle serviceId = Layouts.field(layout, "service_id");
        private final VarHandle slot = Layouts.field(layout, "slot");

        @Override
        public String cName() {
            return "lb4_slot_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4SlotKey value, MemorySegment segment) {
            serviceId.set(segment, 0L, value.serviceId());
            slot.set(segment, 0L, value.slot());
        }

        @Override
        public Lb4SlotKey decode(MemorySegment segment) {
            return new Lb4SlotKey((int) serviceId.get(segment, 0L), (int) slot.get(segment, 0L));
        }
    };
}
