package io.sluice.maps;

/**
 * A flow in the direction of the packet looked up: C {@code struct ct4_key}.
 * <pre>
 *  0       4       8       10      12    13    16
 *  +-------+-------+-------+-------+-----+-----+
 *  | saddr | daddr | sport | dport |proto| pad |
 *  +-------+-------+-------+-------+-----+-----+
 * </pre>
 */
public record Ct4Key(Ipv4 source, Ipv4 destination, int sourcePort, int destinationPort, IpProtocol protocol)
        implements Flow4KeyCodec.Flow {

    public Ct4Key {
        Layouts.checkUnsigned("ct4_key.sport", sourcePort, 16);
        Layouts.checkUnsigned("ct4_key.dport", destinationPort, 16);
    }

    /** The codec of {@code struct ct4_key}. */
    public static final StructCodec<Ct4Key> CODEC = new Flow4KeyCodec<>("ct4_key", k -> k.protocol().number(),
            (source, destination, sourcePort, destinationPort, protocol) ->
                    new Ct4Key(source, destination, sourcePort, destinationPort, IpProtocol.of(protocol)));
}
