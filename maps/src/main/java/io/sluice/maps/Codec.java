package io.sluice.maps;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/**
 * How a map key or value is written to and read from native memory.
 *
 * @param <T> the Java value
 */
public interface Codec<T> {

    /** The native layout; its size is the map's key or value size. */
    MemoryLayout layout();

    /** Writes {@code value} into {@code segment}, which is at least {@code layout().byteSize()} long. */
    void encode(T value, MemorySegment segment);

    /** Reads a value from {@code segment}. */
    T decode(MemorySegment segment);

    /** A {@code __u32} key or value (backend ids, slot values, array indexes). */
    Codec<Integer> UINT32 = new Codec<>() {
        @Override
        public MemoryLayout layout() {
            return Layouts.U32;
        }

        @Override
        public void encode(Integer value, MemorySegment segment) {
            segment.set(Layouts.U32, 0, value);
        }

        @Override
        public Integer decode(MemorySegment segment) {
            return segment.get(Layouts.U32, 0);
        }
    };

    /** A {@code __u64} value (counters). */
    Codec<Long> UINT64 = new Codec<>() {
        @Override
        public MemoryLayout layout() {
            return Layouts.U64;
        }

        @Override
        public void encode(Long value, MemorySegment segment) {
            segment.set(Layouts.U64, 0, value);
        }

        @Override
        public Long decode(MemorySegment segment) {
            return segment.get(Layouts.U64, 0);
        }
    };
}
