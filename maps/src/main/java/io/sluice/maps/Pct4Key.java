package io.sluice.maps;

/**
 * A flow of the policy conntrack, as its first packet went (after service translation): C
 * {@code struct pct4_key}. ICMP echo flows carry the identifier as source port of the request.
 */
public record Pct4Key(Ipv4 source, Ipv4 destination, int sourcePort, int destinationPort, int protocol)
        implements Flow4KeyCodec.Flow {

    public Pct4Key {
        Layouts.checkUnsigned("pct4_key.sport", sourcePort, 16);
        Layouts.checkUnsigned("pct4_key.dport", destinationPort, 16);
        Layouts.checkUnsigned("pct4_key.proto", protocol, 8);
    }

    /** The codec of {@code struct pct4_key}. */
    public static final StructCodec<Pct4Key> CODEC = new Flow4KeyCodec<>("pct4_key", Pct4Key::protocol,
            Pct4Key::new);
}
