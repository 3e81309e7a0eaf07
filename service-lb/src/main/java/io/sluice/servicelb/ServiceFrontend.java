package io.sluice.servicelb;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
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
        flags = shared(flags);
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

    private static final FrontendFlag[] ALL_FLAGS = FrontendFlag.values();
    /** Every combination of flags once, as an unmodifiable set, indexed by the bit mask of the flags' ordinals. */
    private static final List<Set<FrontendFlag>> FLAG_SETS = flagSets();

    private static List<Set<FrontendFlag>> flagSets() {
        List<Set<FrontendFlag>> sets = new ArrayList<>();
        for (int mask = 0; mask < 1 << ALL_FLAGS.length; mask++) {
            EnumSet<FrontendFlag> set = EnumSet.noneOf(FrontendFlag.class);
            for (FrontendFlag flag : ALL_FLAGS) {
                if ((mask & (1 << flag.ordinal())) != 0) {
                    set.add(flag);
                }
            }
            sets.add(Collections.unmodifiableSet(set));
        }
        return List.copyOf(sets);
    }

    /** The shared unmodifiable set equal to {@code flags}: a sync builds a frontend per address, a copy each was waste. */
    private static Set<FrontendFlag> shared(Set<FrontendFlag> flags) {
        int mask = 0;
        for (FrontendFlag flag : ALL_FLAGS) {
            if (flags.contains(flag)) {
                mask |= 1 << flag.ordinal();
            }
        }
        if (flags.size() != Integer.bitCount(mask)) {
            return Collections.unmodifiableSet(EnumSet.copyOf(flags)); // throws for the null element it must hold
        }
        return FLAG_SETS.get(mask);
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
