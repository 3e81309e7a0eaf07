package io.sluice.servicelb;

import java.util.Comparator;
import java.util.Objects;

/**
 * One endpoint a frontend may send a connection to.
 *
 * <p>Backends sort by address, then port, then protocol: a key that does not depend on the node, so lists and
 * {@link MaglevTable}s come out the same on every node (except for {@link #local()}, which is this node's view).
 *
 * @param address     the endpoint's IP ({@code endpoints[].addresses[0]} of its EndpointSlice)
 * @param port        the endpoint's port, from the EndpointSlice port matching the Service port
 * @param protocol    the transport protocol, the same as the frontend's
 * @param nodeName    the node the endpoint runs on, empty if the slice does not say
 * @param zone        the endpoint's zone, empty if the slice does not say
 * @param local       true if {@code nodeName} is this node
 * @param terminating true if the endpoint is shutting down (then it is only used as a fallback while serving)
 */
public record ServiceBackend(
        IpAddress address,
        int port,
        L4Protocol protocol,
        String nodeName,
        String zone,
        boolean local,
        boolean terminating) implements Comparable<ServiceBackend> {

    private static final Comparator<ServiceBackend> ORDER = Comparator.comparing(ServiceBackend::address)
            .thenComparingInt(ServiceBackend::port)
            .thenComparing(ServiceBackend::protocol)
            .thenComparing(ServiceBackend::nodeName)
            .thenComparing(ServiceBackend::zone)
            .thenComparing(ServiceBackend::local)
            .thenComparing(ServiceBackend::terminating);

    public ServiceBackend {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(zone, "zone");
        Ports.requireValid(port, "backend port");
    }

    /** The address family of this backend. */
    public IpFamily family() {
        return address.family();
    }

    /** True if this backend and {@code other} are the same address, port and protocol. */
    public boolean sameEndpoint(ServiceBackend other) {
        return address.equals(other.address) && port == other.port && protocol == other.protocol;
    }

    @Override
    public int compareTo(ServiceBackend other) {
        return ORDER.compare(this, other);
    }

    /** {@code 10.1.0.5:8080/TCP}. */
    @Override
    public String toString() {
        return Ports.hostPort(address, port) + "/" + protocol + (local ? " (local)" : "")
                + (terminating ? " (terminating)" : "");
    }
}
