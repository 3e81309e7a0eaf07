package io.sluice.maps;

import static io.sluice.maps.Layouts.U32;
import static io.sluice.maps.Layouts.U64;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * Where a client of a service with session affinity was last sent: C {@code struct lb4_affinity_value}.
 * {@code lastUsedNanos} is the kernel's {@code bpf_ktime_get_ns()} (CLOCK_MONOTONIC, the clock of
 * {@link System#nanoTime()} on Linux) of the last new flow or connection it decided.
 */
public record Lb4AffinityValue(long lastUsedNanos, int backendId) {

    /** The codec of {@code struct lb4_affinity_value}. */
    public static final StructCodec<Lb4AffinityValue> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                U64.withName("last_used_ns"),
                U32.withName("backend_id"),
                Layouts.padding("pad", 4));
        private final VarHandle lastUsed = Layouts.field(layout, "last_used_ns");
        private final VarHandle backendId = Layouts.field(layout, "backend_id");

        @Override
        public String cName() {
            return "lb4_affinity_value";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4AffinityValue value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            lastUsed.set(segment, 0L, value.lastUsedNanos());
            backendId.set(segment, 0L, value.backendId());
        }

        @Override
        public Lb4AffinityValue decode(MemorySegment segment) {
            return new Lb4AffinityValue((long) lastUsed.get(segment, 0L), (int) backendId.get(segment, 0L));
        }
    };
}
