package io.sluice.maps;

import static io.sluice.maps.Layouts.BE32;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * One address of the ipcache's hash part ({@code ipcache4_hosts}): C {@code struct ipcache4_host_key}, the address
 * in network order. It stands for the /32 prefix of that address and wins over every {@code ipcache4} prefix.
 * <pre>
 *  0         4
 *  +---------+
 *  | address |
 *  +---------+
 * </pre>
 */
public record Ipcache4HostKey(Ipv4 address) {

    /** The codec of {@code struct ipcache4_host_key}. */
    public static final StructCodec<Ipcache4HostKey> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(BE32.withName("address"));
        private final VarHandle addressField = Layouts.field(layout, "address");

        @Override
        public String cName() {
            return "ipcache4_host_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Ipcache4HostKey value, MemorySegment segment) {
            addressField.set(segment, 0L, value.address().bits());
        }

        @Override
        public Ipcache4HostKey decode(MemorySegment segment) {
            return new Ipcache4HostKey(new Ipv4((int) addressField.get(segment, 0L)));
        }
    };
}
