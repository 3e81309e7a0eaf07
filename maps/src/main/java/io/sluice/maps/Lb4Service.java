package io.sluice.maps;

import static io.sluice.maps.Layouts.U16;
import static io.sluice.maps.Layouts.U32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * What a frontend leads to: C {@code struct lb4_service}. A {@code backendCount} of 0 means the data path
 * refuses connections at once. {@code flags} are the {@code LB_F_*} bits of {@link DatapathConstants}.
 * <pre>
 *  0          4       6       8                12
 *  +----------+-------+-------+----------------+
 *  |service_id| count | flags |affinity_timeout|
 *  +----------+-------+-------+----------------+
 * </pre>
 */
public record Lb4Service(int serviceId, int backendCount, int flags, int affinityTimeoutSeconds) {

    public Lb4Service {
        Layouts.checkUnsigned("lb4_service.backend_count", backendCount, 16);
        Layouts.checkUnsigned("lb4_service.flags", flags, 16);
    }

    /** The codec of {@code struct lb4_service}. */
    public static final StructCodec<Lb4Service> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U32.withName("service_id"),
                U16.withName("backend_count"),
                U16.withName("flags"),
                U32.withName("affinity_timeout"));
        private final VarHandle serviceId = Layouts.field(layout, "service_id");
        private final VarHandle backendCount = Layouts.field(layout, "backend_count");
        private final VarHandle flags = Layouts.field(layout, "flags");
        private final VarHandle affinityTimeout = Layouts.field(layout, "affinity_timeout");

        @Override
        public String cName() {
            return "lb4_service";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4Service value, MemorySegment segment) {
            serviceId.set(segment, 0L, value.serviceId());
            backendCount.set(segment, 0L, (short) value.backendCount());
            flags.set(segment, 0L, (short) value.flags());
            affinityTimeout.set(segment, 0L, value.affinityTimeoutSeconds());
        }

        @Override
        public Lb4Service decode(MemorySegment segment) {
            return new Lb4Service((int) serviceId.get(segment, 0L),
                    Layouts.u16((short) backendCount.get(segment, 0L)),
                    Layouts.u16((short) flags.get(segment, 0L)),
                    (int) affinityTimeout.get(segment, 0L));
        }
    };
}
