package io.sluice.policy;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.util.List;
import java.util.Map;

/**
 * A whole cluster as Kubernetes objects, for tests: namespaces, pods, NetworkPolicies, and each node's
 * own addresses.
 *
 * @param namespaces namespaces
 * @param pods pods (all nodes)
 * @param policies NetworkPolicies
 * @param nodeAddresses node name → the node's addresses
 */
record Cluster(List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies,
               Map<String, List<String>> nodeAddresses) {

    Cluster {
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        policies = List.copyOf(policies);
        nodeAddresses = Map.copyOf(nodeAddresses);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Cluster{\n");
        namespaces.forEach(n -> sb.append("  namespace ").append(n.getMetadata().getName()).append(' ')
                .append(n.getMetadata().getLabels()).append('\n'));
        pods.forEach(p -> sb.append("  pod ").append(ClusterArbitraries.describe(p)).append('\n'));
        policies.forEach(p -> sb.append("  policy ").append(ClusterArbitraries.describe(p)).append('\n'));
        return sb.append('}').toString();
    }

    Cluster withPolicies(List<NetworkPolicy> newPolicies) {
        return new Cluster(namespaces, pods, newPolicies, nodeAddresses);
    }

    /** A fresh engine for {@code node} fed with every object of the cluster. */
    PolicyEngine engineFor(String node) {
        PolicyEngine engine = new PolicyEngine(node, new InMemoryIdentityStore());
        engine.setHostAddresses(nodeAddresses.getOrDefault(node, List.of()));
        namespaces.forEach(engine::upsertNamespace);
        pods.forEach(engine::upsertPod);
        policies.forEach(engine::upsertPolicy);
        return engine;
    }
}
