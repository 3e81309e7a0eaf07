package io.sluice.maps;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Field layouts shared by the struct codecs: byte order lives here, not at call sites. */
final class Layouts {
    /** {@code __be32} */
    static final ValueLayout.OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** {@code __be16} */
    static final ValueLayout.OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** {@code __u32} */
    static final ValueLayout.OfInt U32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    /** {@code __u16} */
    static final ValueLayout.OfShort U16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    /** {@code __u64} */
    static final ValueLayout.OfLong U64 = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    /** {@code __u8} */
    static final ValueLayout.OfByte U8 = JAVA_BYTE;

    private Layouts() {
    }

    /** {@code __u8 name[count]} */
    static MemoryLayout padding(String name, int count) {
        return MemoryLayout.sequenceLayout(count, JAVA_BYTE).withName(name);
    }

    /** {@code __u8 name[count]} that holds data, such as an IPv6 address (read and written as bytes). */
    static MemoryLayout byteArray(String name, int count) {
        return MemoryLayout.sequenceLayout(count, JAVA_BYTE).withName(name);
    }

    /** A handle on a top-level field, taking {@code (segment, 0L)}. */
    static VarHandle field(MemoryLayout struct, String name) {
        return struct.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    static int u16(short value) {
        return Short.toUnsignedInt(value);
    }

    static int u8(byte value) {
        return Byte.toUnsignedInt(value);
    }

    /** Checks a value fits an unsigned field before it is truncated into it. */
    static int checkUnsigned(String field, long value, int bits) {
        if (value < 0 || value >= 1L << bits) {
            throw new IllegalArgumentException(field + " = " + value + " does not fit " + bits + " unsigned bits");
        }
        return (int) value;
    }

    static void zero(MemorySegment segment, MemoryLayout layout) {
        segment.asSlice(0, layout.byteSize()).fill((byte) 0);
    }
}
