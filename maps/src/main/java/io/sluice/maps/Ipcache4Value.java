package io.sluice.maps;

import static io.sluice.maps.Layouts.U32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** The security identity of the addresses an ipcache prefix covers: C {@code struct ipcache4_value}. */
public record Ipcache4Value(int identity) {

    /** The codec of {@code struct ipcache4_value}. */
    public static final StructCodec<Ipcache4Value> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(U32.withName("identity"));
        private final VarHandle identityField = Layouts.field(layout, "identity");

        @Override
        public String cName() {
            return "ipcache4_value";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Ipcache4Value value, MemorySegment segment) {
            identityField.set(segment, 0L, value.identity());
        }

        @Override
        public Ipcache4Value decode(MemorySegment segment) {
            return new Ipcache4Value((int) identityField.get(segment, 0L));
        }
    };
}
