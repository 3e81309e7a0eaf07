package io.sluice.policy;

/** One validated entry of a rule's {@code ports}: a numeric range or a named port, with its protocol. */
public sealed interface PortSpec {

    /** Protocol the traffic must use. */
    Protocol protocol();

    /**
     * Ports {@code first..last} inclusive; a single port has {@code first == last}, a ports entry without
     * {@code port} is {@code 0..65535}.
     */
    record Range(Protocol protocol, int first, int last) implements PortSpec {
        public Range {
            if (first < 0 || last > 0xFFFF || last < first) {
                throw new IllegalArgumentException("bad port range " + first + ".." + last);
            }
        }

        /** Every port of a protocol. */
        public static Range all(Protocol protocol) {
            return new Range(protocol, 0, 0xFFFF);
        }

        /** Whether {@code port} lies in the range. */
        public boolean contains(int port) {
            return port >= first && port <= last;
        }
    }

    /** A port named in the destination pod's {@code containerPorts}, resolved per destination pod. */
    record Named(Protocol protocol, String name) implements PortSpec {
    }
}
