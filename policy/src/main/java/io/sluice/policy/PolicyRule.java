package io.sluice.policy;

import java.util.List;

/**
 * One validated ingress or egress rule: traffic matches when its peer matches one of {@code peers} AND
 * its port matches one of {@code ports}. An empty list means "all": every peer (including addresses
 * outside the cluster) or every port and protocol.
 *
 * @param peers selectors, any of which may match (OR); empty = every peer
 * @param ports port specs, any of which may match (OR); empty = every port of every protocol
 */
public record PolicyRule(List<PeerSelector> peers, List<PortSpec> ports) {

    public PolicyRule {
        peers = List.copyOf(peers);
        ports = List.copyOf(ports);
    }

    /** Whether some port spec is named (its numbers depend on the destination pod). */
    public boolean hasNamedPorts() {
        return ports.stream().anyMatch(p -> p instanceof PortSpec.Named);
    }
}
