package io.sluice.policy;

/**
 * One key of the policy map, an LPM trie whose value is always {@link PolicyVerdict#ALLOW} (there are no deny entries:
 * NetworkPolicy only adds allowed traffic; denial is the absence of a match plus the endpoint's
 * default-deny flag).
 *
 * <p>The kernel key is {@code (endpointId, direction, peerIdentity, protocol, port)} in that order,
 * big-endian, and the entry's prefix covers endpoint, direction and identity completely, then either
 * nothing more ({@code protocol == 0}: every protocol and port) or the protocol plus
 * {@code portPrefixLength} bits of the port. {@link #lpmPrefixBitsAfterIdentity()} gives that tail.
 * Per packet the data path does two lookups: with the peer's identity, then with identity 0; a hit in
 * either allows the packet.
 *
 * @param endpointId the local pod's endpoint id
 * @param direction INGRESS (peer is the source) or EGRESS (peer is the destination)
 * @param peerIdentity the peer's security identity, or {@link Identities#ANY}
 * @param protocol IP protocol number, or {@link Protocol#ANY} (then the port fields are 0)
 * @param port first port of the block (low bits below the prefix are zero)
 * @param portPrefixLength number of significant port bits, 0..16
 */
public record PolicyEntry(int endpointId, Direction direction, int peerIdentity, int protocol, int port,
                          int portPrefixLength) {

    public PolicyEntry {
        if (protocol == Protocol.ANY && (port != 0 || portPrefixLength != 0)) {
            throw new IllegalArgumentException("an any-protocol entry cannot restrict ports");
        }
        PortBlock.check(port, portPrefixLength);
    }

    // Written out: entries are hashed and compared in bulk (entry counts, entry sets), and the record's generated
    // methods cost several times more where the agent runs without the optimising compiler.
    @Override
    public boolean equals(Object o) {
        return o instanceof PolicyEntry e && endpointId == e.endpointId && peerIdentity == e.peerIdentity && port == e.port
                && direction == e.direction && protocol == e.protocol && portPrefixLength == e.portPrefixLength;
    }

    @Override
    public int hashCode() {
        int h = endpointId;
        h = 31 * h + direction.ordinal();
        h = 31 * h + peerIdentity;
        h = 31 * h + protocol;
        h = 31 * h + port;
        return 31 * h + portPrefixLength;
    }

    /** Entry allowing every protocol and port with {@code peerIdentity}. */
    public static PolicyEntry anyPort(int endpointId, Direction direction, int peerIdentity) {
        return new PolicyEntry(endpointId, direction, peerIdentity, Protocol.ANY, 0, 0);
    }

    /** Entry allowing one port block of one protocol with {@code peerIdentity}. */
    public static PolicyEntry of(int endpointId, Direction direction, int peerIdentity, Protocol protocol, PortBlock block) {
        return new PolicyEntry(endpointId, direction, peerIdentity, protocol.number(), block.port(), block.prefixLength());
    }

    /** The port block. */
    public PortBlock portBlock() {
        return new PortBlock(port, portPrefixLength);
    }

    /** Key bits after the identity that the LPM prefix covers: 0, or 8 (protocol) + port prefix. */
    public int lpmPrefixBitsAfterIdentity() {
        return protocol == Protocol.ANY ? 0 : 8 + portPrefixLength;
    }

    /** Whether this entry covers a packet of {@code packetProtocol} to {@code packetPort} (identity aside). */
    public boolean covers(int packetProtocol, int packetPort) {
        return protocol == Protocol.ANY || (protocol == packetProtocol && portBlock().contains(packetPort));
    }
}
