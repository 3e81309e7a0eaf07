package io.sluice.servicelb;

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

    /**
     * By address, port, protocol, node name, zone, locality, then termination (false first). Written out rather than
     * a comparator chain: every translation sorts its backends, and the launcher's C1-only flags do not inline
     * the chain's lambdas.
     */
    @Override
    public int compareTo(ServiceBackend other) {
        int c = address.compareTo(other.address);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(port, other.port);
        if (c != 0) {
            return c;
        }
        c = protocol.compareTo(other.protocol);
        if (c != 0) {
            return c;
        }
        c = nodeName.compareTo(other.nodeName);
        if (c != 0) {
            return c;
        }
        c = zone.compareTo(other.zone);
        if (c != 0) {
            return c;
        }
        c = Boolean.compare(local, other.local);
        return c != 0 ? c : Boolean.compare(terminating, other.terminating);
    }

    /** Hand-written for the same reason as {@link #compareTo}; the same fields as the record's own. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ServiceBackend other && port == other.port && local == other.local
                && terminating == other.terminating && protocol == other.protocol && address.equals(other.address)
                && nodeName.equals(other.nodeName) && zone.equals(other.zone);
    }

    @Override
    public int hashCode() {
        int h = address.hashCode();
        h = 31 * h + port;
        h = 31 * h + protocol.ordinal();
        h = 31 * h + nodeName.hashCode();
        h = 31 * h + zone.hashCode();
        return 31 * h + (local ? 2 : 0) + (terminating ? 1 : 0);
    }

    /** {@code 10.1.0.5:8080/TCP}. */
    @Override
    public String toString() {
        return Ports.hostPort(address, port) + "/" + protocol + (local ? " (local)" : "")
                + (terminating ? " (terminating)" : "");
    }
}
