package io.sluice.servicelb;

import java.util.Comparator;
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

    private static final Comparator<FrontendAddress> ORDER = Comparator.comparing(FrontendAddress::ip)
            .thenComparingInt(FrontendAddress::port)
            .thenComparing(FrontendAddress::protocol);

    public FrontendAddress {
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(protocol, "protocol");
        Ports.requireValid(port, "port");
    }

    /** The family of {@link #ip()}. */
    public IpFamily family() {
        return ip.family();
    }

    @Override
    public int compareTo(FrontendAddress other) {
        return ORDER.compare(this, other);
    }

    /** {@code 10.0.0.1:80/TCP} or {@code [fd00::1]:80/TCP}. */
    @Override
    public String toString() {
        return Ports.hostPort(ip, port) + "/" + protocol;
    }
}
