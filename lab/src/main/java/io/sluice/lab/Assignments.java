package io.sluice.lab;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the lab decided for objects that did not say: each pod's node, address, network namespace and veth, each
 * Service's cluster IP and node ports. Kept in the state file so that a manifest change moves nothing that did
 * not change.
 *
 * @param podNodes          pod key to node name
 * @param podAddresses      pod key to address
 * @param podNamespaces     pod key to network namespace name
 * @param podInterfaces     pod key to host-side veth name
 * @param clusterIPs        service key to cluster IP
 * @param nodePorts         {@code namespace/service/portIndex} to node port
 */
public record Assignments(Map<String, String> podNodes, Map<String, String> podAddresses,
                          Map<String, String> podNamespaces, Map<String, String> podInterfaces,
                          Map<String, String> clusterIPs, Map<String, Integer> nodePorts) {

    public Assignments {
        podNodes = new TreeMap<>(podNodes);
        podAddresses = new TreeMap<>(podAddresses);
        podNamespaces = new TreeMap<>(podNamespaces);
        podInterfaces = new TreeMap<>(podInterfaces);
        clusterIPs = new TreeMap<>(clusterIPs);
        nodePorts = new TreeMap<>(nodePorts);
    }

    /** No decisions yet: a new lab. */
    public static Assignments none() {
        return new Assignments(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }
}
