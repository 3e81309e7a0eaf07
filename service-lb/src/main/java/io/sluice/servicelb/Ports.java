package io.sluice.servicelb;

import java.util.Optional;

/** Port rules shared by the records, the translator and the readers of Services and EndpointSlices. */
final class Ports {

    static final int MIN = 1;
    static final int MAX = 65_535;

    private Ports() {
    }

    static boolean isValid(long port) {
        return port >= MIN && port <= MAX;
    }

    static void requireValid(int port, String what) {
        if (!isValid(port)) {
            throw new IllegalArgumentException(what + " " + port + " is out of range " + MIN + ".." + MAX);
        }
    }

    /**
     * Whether a port's {@code number} (in {@code field}) is a port number; if not, records an INVALID_PORT refusal
     * that leaves the port out.
     */
    static boolean checkNumber(Integer number, String field, ObjectRef ref, Refusals refusals) {
        if (number != null && isValid(number)) {
            return true;
        }
        refusals.add(ref, field, RefusalReason.INVALID_PORT, number + " is not a port number (" + MIN + ".." + MAX
                + "); port left out");
        return false;
    }

    /**
     * The protocol a port's {@code protocol} field ({@code field}) names (see {@link L4Protocol#fromKubernetes});
     * empty, with an INVALID_PROTOCOL refusal that leaves the port out, if it names none.
     */
    static Optional<L4Protocol> readProtocol(String value, String field, ObjectRef ref, Refusals refusals) {
        Optional<L4Protocol> protocol = L4Protocol.fromKubernetes(value);
        if (protocol.isEmpty()) {
            refusals.add(ref, field, RefusalReason.INVALID_PROTOCOL,
                    "'" + value + "' is not a protocol (TCP, UDP, SCTP); port left out");
        }
        return protocol;
    }

    static String hostPort(IpAddress ip, int port) {
        return ip.isIpv4() ? ip + ":" + port : "[" + ip + "]:" + port;
    }
}
