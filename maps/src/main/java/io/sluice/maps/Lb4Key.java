package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A service frontend as a client addresses it: C {@code struct lb4_key}.
 * <pre>
 *  0      4      6     7     8
 *  +------+------+-----+-----+
 *  | addr | port |proto|scope|
 *  +------+------+-----+-----+
 * </pre>
 */
public record Lb4Key(Ipv4 address, int port, IpProtocol protocol, LbScope scope) {

    public Lb4Key {
        Layouts.checkUnsigned("lb4_key.port", port, 16);
    }

    /**
     * Hand-written, as the record's would compute it: the generated equals and hashCode go through method handles,
     * slow under C1, and this is the key of the service reconciler's maps of frontends.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Lb4Key other && port == other.port && address.equals(other.address)
                && protocol == other.protocol && scope == other.scope;
    }

    @Override
    public int hashCode() {
        return ((address.hashCode() * 31 + port) * 31 + protocol.hashCode()) * 31 + scope.hashCode();
    }

    /** The codec of {@code struct lb4_key}. */
    public static final StructCodec<Lb4Key> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE32.withName("address"),
                BE16.withName("port"),
                U8.withName("proto"),
                U8.withName("scope"));
        private final VarHandle address = Layouts.field(layout, "address");
        private final VarHandle port = Layouts.field(layout, "port");
        private final VarHandle proto = Layouts.field(layout, "proto");
        private final VarHandle scope = Layouts.field(layout, "scope");

        @Override
        public String cName() {
            return "lb4_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb4Key value, MemorySegment segment) {
            address.set(segment, 0L, value.address().bits());
            port.set(segment, 0L, (short) value.port());
            proto.set(segment, 0L, (byte) value.protocol().number());
            scope.set(segment, 0L, (byte) value.scope().value());
        }

        @Override
        public Lb4Key decode(MemorySegment segment) {
            return new Lb4Key(new Ipv4((int) address.get(segment, 0L)),
                    Layouts.u16((short) port.get(segment, 0L)),
                    IpProtocol.of(Layouts.u8((byte) proto.get(segment, 0L))),
                    LbScope.of(Layouts.u8((byte) scope.get(segment, 0L))));
        }
    };
}
