package io.sluice.policy;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.HashMap;
import java.util.Map;

/**
 * The kernel's decision simulated over a snapshot of compiled state, one {@link PolicyEngine} per node: the source's
 * node checks egress (ipcache LPM on the destination address, then the source endpoint's policy entries:
 * exact identity, then identity 0, port prefix match, default-deny flag) and the destination's node checks
 * ingress the same way with the source address.
 */
final class Datapath {

    private final Map<String, PolicyEngine> engines = new HashMap<>();
    private final Map<String, Map<PodRef, EndpointPolicy>> policies = new HashMap<>();
    private final Map<String, Map<String, Integer>> identities = new HashMap<>();

    Datapath(Cluster cluster) {
        for (String node : cluster.nodeAddresses().keySet()) {
            engines.put(node, cluster.engineFor(node));
        }
    }

    Datapath(Map<String, PolicyEngine> engines) {
        this.engines.putAll(engines);
    }

    /** The ipcache's longest-prefix answer for an address on a node (memoised: the state is a snapshot). */
    private int identityOf(String node, String address) {
        return identities.computeIfAbsent(node, n -> new HashMap<>())
                .computeIfAbsent(address, a -> engines.get(node).ipcache().lookup(IpPrefix.parseAddress(a)));
    }

    private EndpointPolicy policyOf(String node, Pod pod) {
        return policies.computeIfAbsent(node, n -> engines.get(n).endpointPolicies()).get(ref(pod));
    }

    PolicyEngine engine(String node) {
        return engines.get(node);
    }

    boolean egressAllowed(Pod src, String dstAddress, Protocol protocol, int port) {
        EndpointPolicy policy = policyOf(src.getSpec().getNodeName(), src);
        int identity = identityOf(src.getSpec().getNodeName(), dstAddress);
        return policy.allows(Direction.EGRESS, identity, protocol.number(), port);
    }

    boolean ingressAllowed(String srcAddress, Pod dst, Protocol protocol, int port) {
        EndpointPolicy policy = policyOf(dst.getSpec().getNodeName(), dst);
        int identity = identityOf(dst.getSpec().getNodeName(), srcAddress);
        return policy.allows(Direction.INGRESS, identity, protocol.number(), port);
    }

    /**
     * The full decision for {@code src} sending to {@code dst}: egress on the source's node if it is a pod,
     * ingress on the destination's node if it is a pod.
     */
    boolean allowed(ReferenceEvaluator.Peer src, ReferenceEvaluator.Peer dst, Protocol protocol, int port) {
        String srcAddress = address(src);
        String dstAddress = address(dst);
        boolean egressOk = !(src instanceof ReferenceEvaluator.Peer.OfPod s) || egressAllowed(s.pod(), dstAddress, protocol, port);
        boolean ingressOk = !(dst instanceof ReferenceEvaluator.Peer.OfPod d) || ingressAllowed(srcAddress, d.pod(), protocol, port);
        return egressOk && ingressOk;
    }

    private static String address(ReferenceEvaluator.Peer peer) {
        return switch (peer) {
            case ReferenceEvaluator.Peer.OfPod p -> p.pod().getStatus().getPodIP();
            case ReferenceEvaluator.Peer.Address a -> a.ip();
        };
    }

    static PodRef ref(Pod pod) {
        return new PodRef(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    }
}
