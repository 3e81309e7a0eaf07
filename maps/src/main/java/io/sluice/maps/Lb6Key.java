package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * An IPv6 service frontend as a client addresses it: C {@code struct lb6_key}, the key of {@code lb6_services}
 * (whose value is an {@link Lb4Service}: it does not depend on the family).
 * <pre>
 *  0         16     18    19    20
 *  +---------+------+-----+-----+
 *  | address | port |proto|scope|
 *  +---------+------+-----+-----+
 * </pre>
 */
public record Lb6Key(Ipv6 address, int port, IpProtocol protocol, LbScope scope) {

    public Lb6Key {
        Layouts.checkUnsigned("lb6_key.port", port, 16);
    }

    /** The codec of {@code struct lb6_key}. */
    public static final StructCodec<Lb6Key> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                Layouts.byteArray("address", 16),
                BE16.withName("port"),
                U8.withName("proto"),
                U8.withName("scope"));
        private final VarHandle port = Layouts.field(layout, "port");
        private final VarHandle proto = Layouts.field(layout, "proto");
        private final VarHandle scope = Layouts.field(layout, "scope");

        @Override
        public String cName() {
            return "lb6_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Lb6Key value, MemorySegment segment) {
            value.address().write(segment, 0);
            port.set(segment, 0L, (short) value.port());
            proto.set(segment, 0L, (byte) value.protocol().number());
            scope.set(segment, 0L, (byte) value.scope().value());
        }

        @Override
        public Lb6Key decode(MemorySegment segment) {
            return new Lb6Key(Ipv6.read(segment, 0), Layouts.u16((short) port.get(segment, 0L)),
                    IpProtocol.of(Layouts.u8((byte) proto.get(segment, 0L))),
                    LbScope.of(Layouts.u8((byte) scope.get(segment, 0L))));
        }
    };
}
