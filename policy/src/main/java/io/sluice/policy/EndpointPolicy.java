package io.sluice.policy;

import java.util.Set;

/**
 * Everything the data path needs to enforce NetworkPolicy for one local pod: whether each direction is
 * isolated (default deny unless an entry matches) and the allow entries. Value equality lets the agent
 * skip unchanged endpoints and diff entry sets to write only what changed.
 *
 * <p>When {@code ingressEnforced} is set, the entries always include one allowing every protocol from
 * {@link Identities#HOST}: traffic from the pod's own node (kubelet probes) is allowed whatever the
 * policies say, as the NetworkPolicy API specifies.
 *
 * @param pod the pod
 * @param endpointId its endpoint id
 * @param ingressEnforced some policy in force for ingress selects the pod
 * @param egressEnforced some policy in force for egress selects the pod
 * @param entries the allow entries (immutable: an {@link EntrySet}, which shares its bulk with earlier versions)
 */
public record EndpointPolicy(PodRef pod, int endpointId, boolean ingressEnforced, boolean egressEnforced,
                             Set<PolicyEntry> entries) {

    public EndpointPolicy {
        entries = EntrySet.of(entries);
    }

    /** Whether the direction is isolated. */
    public boolean enforced(Direction direction) {
        return direction == Direction.INGRESS ? ingressEnforced : egressEnforced;
    }

    /**
     * The verdict the data path reaches, written in Java: ALLOW if the direction is not enforced;
     * otherwise ALLOW if an entry with the peer's identity, or else one with identity 0, covers the packet's
     * protocol and port, DENY if none does. With allow-only values, the LPM trie's longest match exists exactly when some
     * entry covers the key, so "covers" here is what the kernel's lookup decides.
     *
     * @param direction INGRESS (peer = source) or EGRESS (peer = destination)
     * @param peerIdentity identity the ipcache gives the peer's address
     * @param protocol IP protocol number of the packet
     * @param port destination port of the packet (0 for protocols without ports)
     */
    public PolicyVerdict verdict(Direction direction, int peerIdentity, int protocol, int port) {
        if (!enforced(direction)) {
            return PolicyVerdict.ALLOW;
        }
        boolean hit = matches(direction, peerIdentity, protocol, port) || matches(direction, Identities.ANY, protocol, port);
        return hit ? PolicyVerdict.ALLOW : PolicyVerdict.DENY;
    }

    /** {@code verdict(...) == ALLOW}. */
    public boolean allows(Direction direction, int peerIdentity, int protocol, int port) {
        return verdict(direction, peerIdentity, protocol, port) == PolicyVerdict.ALLOW;
    }

    private boolean matches(Direction direction, int identity, int protocol, int port) {
        for (PolicyEntry e : entries) {
            if (e.direction() == direction && e.peerIdentity() == identity && e.covers(protocol, port)) {
                return true;
            }
        }
        return false;
    }
}
