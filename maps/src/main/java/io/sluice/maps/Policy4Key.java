package io.sluice.maps;

import static io.sluice.maps.Layouts.BE16;
import static io.sluice.maps.Layouts.BE32;
import static io.sluice.maps.Layouts.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * A policy entry, {@code policy4_allow}'s key: C {@code struct policy4_key}. Java shows it the way the LPM trie it
 * replaced held it, as a prefix over {@code endpoint_id(16) direction(8) pad(8) identity(32) protocol(8) pad(8)
 * port(16)}: an entry for every protocol has prefix {@link PolicyConstants#POLICY4_PREFIX_ANY_PROTOCOL} (64: up to
 * the identity); an entry for a port block of one protocol has {@code 80 + the block's port bits}. The map stores
 * the port bits ({@code port_bits}, 0 for every protocol) and is looked up exactly, once per port bits that
 * {@code policy4_peers} lists for the peer.
 * <pre>
 *  0             2         3           4          8        9     10     12
 *  +-------------+---------+-----------+----------+--------+-----+------+
 *  | endpoint_id |direction| port_bits | identity |protocol| pad | port |
 *  +-------------+---------+-----------+----------+--------+-----+------+
 * </pre>
 *
 * @param prefixLength bits that count: 64, or 80..96
 * @param endpointId   the local endpoint, 0..65535
 * @param direction    seen from the endpoint
 * @param identity     the peer's identity, or {@link PolicyConstants#IDENTITY_ANY}
 * @param protocol     IP protocol number, 0 in entries for every protocol
 * @param port         first port of the block (bits below the prefix zero)
 */
public record Policy4Key(int prefixLength, int endpointId, PolicyDirection direction, int identity, int protocol,
                         int port) {

    public Policy4Key {
        Layouts.checkUnsigned("policy4_key.endpoint_id", endpointId, 16);
        Layouts.checkUnsigned("policy4_key.protocol", protocol, 8);
        Layouts.checkUnsigned("policy4_key.port", port, 16);
        if (prefixLength == PolicyConstants.POLICY4_PREFIX_ANY_PROTOCOL) {
            if (protocol != 0 || port != 0) {
                throw new IllegalArgumentException("policy4_key: an entry for every protocol (prefix 64) has protocol "
                        + protocol + " and port " + port + "; both must be 0");
            }
        } else if (prefixLength < PolicyConstants.POLICY4_PREFIX_PORT_BASE || prefixLength > PolicyConstants.POLICY4_PREFIX_FULL) {
            throw new IllegalArgumentException("policy4_key.prefixlen = " + prefixLength + " is neither 64 nor 80..96");
        } else {
            int portBits = prefixLength - PolicyConstants.POLICY4_PREFIX_PORT_BASE;
            int hostMask = portBits == 16 ? 0 : 0xffff >>> portBits;
            if ((port & hostMask) != 0) {
                throw new IllegalArgumentException("policy4_key: port " + port + " has bits set below its /" + portBits
                        + " block");
            }
        }
    }

    /** An entry allowing every protocol and port with the peer {@code identity}. */
    public static Policy4Key anyProtocol(int endpointId, PolicyDirection direction, int identity) {
        return new Policy4Key(PolicyConstants.POLICY4_PREFIX_ANY_PROTOCOL, endpointId, direction, identity, 0, 0);
    }

    /** An entry allowing the ports {@code port .. port + 2^(16 - portPrefixLength) - 1} of {@code protocol}. */
    public static Policy4Key portBlock(int endpointId, PolicyDirection direction, int identity, int protocol, int port,
                                       int portPrefixLength) {
        if (portPrefixLength < 0 || portPrefixLength > 16) {
            throw new IllegalArgumentException("policy4_key: port prefix length " + portPrefixLength + " is not 0..16");
        }
        if (protocol == 0) {
            throw new IllegalArgumentException("policy4_key: a port block needs a protocol (got 0)");
        }
        return new Policy4Key(PolicyConstants.POLICY4_PREFIX_PORT_BASE + portPrefixLength, endpointId, direction,
                identity, protocol, port);
    }

    /** Whether this is an entry for every protocol. */
    public boolean isAnyProtocol() {
        return prefixLength == PolicyConstants.POLICY4_PREFIX_ANY_PROTOCOL;
    }

    /** The number of significant port bits (0..16); 0 for an entry for every protocol. */
    public int portPrefixLength() {
        return isAnyProtocol() ? 0 : prefixLength - PolicyConstants.POLICY4_PREFIX_PORT_BASE;
    }

    /**
     * Whether this entry allows a packet's lookup: endpoint, direction and identity equal, and the first
     * {@code prefixLength - 64} bits of protocol, pad and port equal (what the programs' probes amount to).
     */
    public boolean covers(int lookupEndpointId, PolicyDirection lookupDirection, int lookupIdentity, int lookupProtocol,
                          int lookupPort) {
        long high = high(endpointId, direction, identity);
        long lookupHigh = high(lookupEndpointId, lookupDirection, lookupIdentity);
        if (high != lookupHigh) {
            return false; // the first 64 bits always count
        }
        int bits = prefixLength - PolicyConstants.POLICY4_PREFIX_ANY_PROTOCOL;
        if (bits == 0) {
            return true;
        }
        long low = (long) protocol << 24 | port;
        long lookupLow = (long) lookupProtocol << 24 | (lookupPort & 0xffff);
        long mask = (0xffffffffL << (32 - bits)) & 0xffffffffL;
        return (low & mask) == (lookupLow & mask);
    }

    private static long high(int endpointId, PolicyDirection direction, int identity) {
        return (long) endpointId << 48 | (long) direction.value() << 40 | (identity & 0xffffffffL);
    }

    // Written out: keys are hashed and compared in bulk (write plans, the peer index), and the record's generated
    // methods cost several times more where the agent runs without the optimising compiler.
    @Override
    public boolean equals(Object o) {
        return o instanceof Policy4Key k && prefixLength == k.prefixLength && endpointId == k.endpointId
                && direction == k.direction && identity == k.identity && protocol == k.protocol && port == k.port;
    }

    @Override
    public int hashCode() {
        int h = prefixLength;
        h = 31 * h + endpointId;
        h = 31 * h + direction.ordinal();
        h = 31 * h + identity;
        h = 31 * h + protocol;
        return 31 * h + port;
    }

    @Override
    public String toString() {
        String peer = "ep " + endpointId + " " + direction + " id " + Integer.toUnsignedString(identity);
        return isAnyProtocol() ? peer + " any" : peer + " proto " + protocol + " port " + port + "/" + portPrefixLength();
    }

    /** The codec of {@code struct policy4_key}. */
    public static final StructCodec<Policy4Key> CODEC = new StructCodec<>() {
        private final StructLayout layout = MemoryLayout.structLayout(
                BE16.withName("endpoint_id"),
                U8.withName("direction"),
                U8.withName("port_bits"),
                BE32.withName("identity"),
                U8.withName("protocol"),
                U8.withName("pad"),
                BE16.withName("port"));
        private final VarHandle endpointIdField = Layouts.field(layout, "endpoint_id");
        private final VarHandle directionField = Layouts.field(layout, "direction");
        private final VarHandle portBitsField = Layouts.field(layout, "port_bits");
        private final VarHandle identityField = Layouts.field(layout, "identity");
        private final VarHandle protocolField = Layouts.field(layout, "protocol");
        private final VarHandle portField = Layouts.field(layout, "port");

        @Override
        public String cName() {
            return "policy4_key";
        }

        @Override
        public StructLayout layout() {
            return layout;
        }

        @Override
        public void encode(Policy4Key value, MemorySegment segment) {
            Layouts.zero(segment, layout);
            endpointIdField.set(segment, 0L, (short) value.endpointId());
            directionField.set(segment, 0L, (byte) value.direction().value());
            portBitsField.set(segment, 0L, (byte) value.portPrefixLength());
            identityField.set(segment, 0L, value.identity());
            protocolField.set(segment, 0L, (byte) value.protocol());
            portField.set(segment, 0L, (short) value.port());
        }

        @Override
        public Policy4Key decode(MemorySegment segment) {
            int endpointId = Layouts.u16((short) endpointIdField.get(segment, 0L));
            PolicyDirection direction = PolicyDirection.of("policy4_key.direction",
                    Layouts.u8((byte) directionField.get(segment, 0L)));
            int identity = (int) identityField.get(segment, 0L);
            int protocol = Layouts.u8((byte) protocolField.get(segment, 0L));
            int portBits = Layouts.u8((byte) portBitsField.get(segment, 0L));
            int port = Layouts.u16((short) portField.get(segment, 0L));
            if (protocol == 0) {
                if (portBits != 0 || port != 0) {
                    throw new IllegalArgumentException("policy4_key: an entry for every protocol has port_bits "
                            + portBits + " and port " + port + "; both must be 0");
                }
                return anyProtocol(endpointId, direction, identity);
            }
            return portBlock(endpointId, direction, identity, protocol, port, portBits);
        }
    };
}
