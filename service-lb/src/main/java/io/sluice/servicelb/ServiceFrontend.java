package io.sluice.servicelb;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * One address a Service is reachable at on this node, with everything the data path needs to know about it
 * except its backends (those are in {@link DesiredFrontend}).
 *
 * @param servicePort the Service and port this frontend belongs to
 * @param kind        where the address comes from (cluster IP, node port, external IP, load-balancer IP)
 * @param address     the IP, port and protocol packets are matched on
 * @param algorithm   how a backend is picked for a new connection
 * @param affinity    client-IP session affinity
 * @param flags       traffic-policy consequences (local only, preserve client IP, SNAT to remote backends)
 */
public record ServiceFrontend(
        ServicePortName servicePort,
        FrontendKind kind,
        FrontendAddress address,
        LbAlgorithm algorithm,
        SessionAffinity affinity,
        Set<FrontendFlag> flags) implements Comparable<ServiceFrontend> {

    public ServiceFrontend {
        Objects.requireNonNull(servicePort, "servicePort");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(affinity, "affinity");
        Objects.requireNonNull(flags, "flags");
        flags = flags.isEmpty()
                ? Collections.unmodifiableSet(EnumSet.noneOf(FrontendFlag.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(flags));
        if (!address.protocol().supportedByDataPath()) {
            throw new IllegalArgumentException(address + ": the data path does not balance " + address.protocol());
        }
        if (kind.scope() == TrafficScope.INTERNAL
                && (flags.contains(FrontendFlag.PRESERVE_CLIENT_IP) || flags.contains(FrontendFlag.SNAT_REMOTE_BACKENDS))) {
            throw new IllegalArgumentException(address + ": source-address flags apply to external frontends only");
        }
        if (flags.contains(FrontendFlag.PRESERVE_CLIENT_IP) && flags.contains(FrontendFlag.SNAT_REMOTE_BACKENDS)) {
            throw new IllegalArgumentException(address + ": cannot both preserve the client IP and SNAT");
        }
    }

    /** Which traffic policy governs this frontend. */
    public TrafficScope scope() {
        return kind.scope();
    }

    /** The address family of this frontend (and of all its backends). */
    public IpFamily family() {
        return address.family();
    }

    /** True if the given flag is set. */
    public boolean has(FrontendFlag flag) {
        return flags.contains(flag);
    }

    /** Frontends sort by address: the order of the data path's key. */
    @Override
    public int compareTo(ServiceFrontend other) {
        return address.compareTo(other.address);
    }
}
