package io.sluice.servicelb;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What the translation needs to know about the node it runs for.
 *
 * @param nodeName      this node's name; an endpoint whose {@code nodeName} equals it is local
 * @param nodeAddresses this node's addresses, the candidates for node-port frontends
 * @param nodePortCidrs kube-proxy's {@code nodePortAddresses}: node ports listen on the node addresses inside
 *                      these prefixes; for a family with no prefix in the list, on every node address of that
 *                      family
 */
public record NodeContext(String nodeName, List<IpAddress> nodeAddresses, List<IpCidr> nodePortCidrs) {

    /**
     * @throws IllegalArgumentException if {@code nodeName} is empty
     */
    public NodeContext {
        Objects.requireNonNull(nodeName, "nodeName");
        if (nodeName.isBlank()) {
            throw new IllegalArgumentException("nodeName: empty (locality of endpoints depends on it)");
        }
        nodeAddresses = List.copyOf(nodeAddresses);
        nodePortCidrs = List.copyOf(nodePortCidrs);
    }

    /**
     * Parses textual settings.
     *
     * @throws IllegalArgumentException naming the setting and the index of a bad entry
     */
    public static NodeContext parse(String nodeName, List<String> nodeAddresses, List<String> nodePortCidrs) {
        List<IpAddress> addresses = new ArrayList<>();
        for (int i = 0; i < nodeAddresses.size(); i++) {
            try {
                addresses.add(IpAddress.parse(nodeAddresses.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("nodeAddresses[" + i + "]: " + e.getMessage(), e);
            }
        }
        List<IpCidr> cidrs = new ArrayList<>();
        for (int i = 0; i < nodePortCidrs.size(); i++) {
            try {
                cidrs.add(IpCidr.parse(nodePortCidrs.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("nodePortCidrs[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new NodeContext(nodeName, addresses, cidrs);
    }

    /** True if an endpoint on {@code endpointNodeName} runs on this node. */
    public boolean isLocal(String endpointNodeName) {
        return nodeName.equals(endpointNodeName);
    }

    /** The node addresses of {@code family} that node ports listen on, sorted, without duplicates. */
    public List<IpAddress> nodePortAddresses(IpFamily family) {
        List<IpCidr> ofFamily = nodePortCidrs.stream().filter(c -> c.family() == family).toList();
        TreeSet<IpAddress> result = new TreeSet<>();
        for (IpAddress address : nodeAddresses) {
            if (address.family() == family
                    && (ofFamily.isEmpty() || ofFamily.stream().anyMatch(c -> c.contains(address)))) {
                result.add(address);
            }
        }
        return List.copyOf(result);
    }
}
