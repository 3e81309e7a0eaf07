package io.sluice.servicelb;

import java.util.Objects;

/**
 * The address, port and protocol a packet is matched on: the key of the data path's services map, unique across
 * all Services on a node.
 *
 * @param ip       the frontend IP
 * @param port     the frontend port, 1..65535
 * @param protocol TCP or UDP
 */
public record FrontendAddress(IpAddress ip, int port, L4Protocol protocol) implements Comparable<FrontendAddress> {

    public FrontendAddress {
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(protocol, "protocol");
        Ports.requireValid(port, "port");
    }

    /** The family of {@link #ip()}. */
    public IpFamily family() {
        return ip.family();
    }

    /** By IP, port, then protocol; written out rather than a comparator chain, which C1 does not inline. */
    @Override
    public int compareTo(FrontendAddress other) {
        int c = ip.compareTo(other.ip);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(port, other.port);
        return c != 0 ? c : protocol.compareTo(other.protocol);
    }

    /** Hand-written: a record's generated equals goes through a method handle, slow under C1 on hot map keys. */
    @Override
    public boolean equals(Object o) {
        return o instanceof FrontendAddress other && port == other.port && protocol == other.protocol
                && ip.equals(other.ip);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * ip.hashCode() + port) + protocol.ordinal();
    }

    /** {@code 10.0.0.1:80/TCP} or {@code [fd00::1]:80/TCP}. */
    @Override
    public String toString() {
        return Ports.hostPort(ip, port) + "/" + protocol;
    }
}
