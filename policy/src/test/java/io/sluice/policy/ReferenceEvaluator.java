package io.sluice.policy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * NetworkPolicy verdicts computed straight from the networking.k8s.io/v1 API text, on the Kubernetes
 * objects: no identities, no ipcache, no prefixes. Tests compare the compiled data path against it.
 *
 * <p>Spec text it follows (NetworkPolicySpec, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort):
 * traffic to a pod is allowed if no policy selects the pod for ingress, or the source is the pod's local
 * node, or the traffic matches at least one ingress rule of the policies selecting the pod; a rule matches
 * when both its {@code from} (empty = all sources) and its {@code ports} (empty = all) match; policyTypes
 * default to Ingress plus Egress when egress rules exist; a peer's podSelector alone selects in the policy's
 * namespace, namespaceSelector alone all pods of the selected namespaces, both together the intersection;
 * a named port is looked up on the destination pod; protocol defaults to TCP; {@code endPort} extends
 * {@code port} to a range. Egress is the mirror image, without the local-node exception.
 *
 * <p>Two points the API leaves to the implementation, decided as Sluice documents them:
 * an ipBlock matches only addresses that are neither a pod's nor the evaluated pod's own node's
 * (Cilium's reading); and, in {@link NamedPorts#BY_LABELS} mode, an egress named port resolves on every pod
 * sharing the destination's namespace and pod labels (the identity-based data path cannot tell them apart).
 */
final class ReferenceEvaluator {

    /** How egress named ports are resolved. */
    enum NamedPorts {
        /** On the destination pod only: the API text. */
        BY_POD,
        /** On every pod with the destination's namespace labels and pod labels: what Sluice enforces. */
        BY_LABELS
    }

    /** A traffic endpoint: a pod of the cluster or a bare address (external, or a node's). */
    sealed interface Peer {
        record OfPod(Pod pod) implements Peer {
            @Override
            public String toString() {
                return "pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName()
                        + " " + pod.getMetadata().getLabels() + " @" + pod.getStatus().getPodIP();
            }
        }

        record Address(String ip) implements Peer {
            @Override
            public String toString() {
                return "address " + ip;
            }
        }
    }

    private final Cluster cluster;
    private final NamedPorts namedPorts;
    private final Map<String, Namespace> namespaces = new HashMap<>();

    ReferenceEvaluator(Cluster cluster, NamedPorts namedPorts) {
        this.cluster = cluster;
        this.namedPorts = namedPorts;
        cluster.namespaces().forEach(n -> namespaces.put(n.getMetadata().getName(), n));
    }

    /** Whether {@code src} may send to {@code dst}: the source's egress and the destination's ingress. */
    boolean allowed(Peer src, Peer dst, Protocol protocol, int port) {
        src = resolve(src);
        dst = resolve(dst);
        boolean egressOk = !(src instanceof Peer.OfPod s) || egressAllowed(s.pod(), dst, protocol, port);
        boolean ingressOk = !(dst instanceof Peer.OfPod d) || ingressAllowed(src, d.pod(), protocol, port);
        return egressOk && ingressOk;
    }

    /** Ingress half: may {@code src} reach pod {@code dst} on protocol/port, by dst's ingress policies. */
    boolean ingressAllowed(Peer src, Pod dst, Protocol protocol, int port) {
        src = resolve(src);
        if (src instanceof Peer.Address a && nodeAddresses(dst).contains(a.ip())) {
            return true; // "if the traffic source is the pod's local node"
        }
        boolean isolated = false;
        for (NetworkPolicy p : cluster.policies()) {
            if (!selects(p, dst) || !hasType(p, "Ingress")) continue;
            isolated = true;
            for (NetworkPolicyIngressRule rule : orEmpty(p.getSpec().getIngress())) {
                if (peersMatch(rule.getFrom(), p, src, dst) && portsMatch(rule.getPorts(), dst, protocol, port, false)) {
                    return true;
                }
            }
        }
        return !isolated;
    }

    /** Egress half: may pod {@code src} send to {@code dst} on protocol/port, by src's egress policies. */
    boolean egressAllowed(Pod src, Peer dst, Protocol protocol, int port) {
        dst = resolve(dst);
        boolean isolated = false;
        Pod dstPod = dst instanceof Peer.OfPod d ? d.pod() : null;
        for (NetworkPolicy p : cluster.policies()) {
            if (!selects(p, src) || !hasType(p, "Egress")) continue;
            isolated = true;
            for (NetworkPolicyEgressRule rule : orEmpty(p.getSpec().getEgress())) {
                if (peersMatch(rule.getTo(), p, dst, src) && portsMatch(rule.getPorts(), dstPod, protocol, port, true)) {
                    return true;
                }
            }
        }
        return !isolated;
    }

    /** An address that belongs to a pod is that pod. */
    private Peer resolve(Peer peer) {
        if (peer instanceof Peer.Address a) {
            for (Pod pod : cluster.pods()) {
                if (a.ip().equals(pod.getStatus().getPodIP())) return new Peer.OfPod(pod);
            }
        }
        return peer;
    }

    private List<String> nodeAddresses(Pod pod) {
        return cluster.nodeAddresses().getOrDefault(pod.getSpec().getNodeName(), List.of());
    }

    private boolean selects(NetworkPolicy p, Pod pod) {
        return p.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())
                && selectorMatches(p.getSpec().getPodSelector(), pod.getMetadata().getLabels());
    }

    private static boolean hasType(NetworkPolicy p, String type) {
        List<String> types = p.getSpec().getPolicyTypes();
        if (types == null || types.isEmpty()) {
            return type.equals("Ingress") || !orEmpty(p.getSpec().getEgress()).isEmpty();
        }
        return types.contains(type);
    }

    /** {@code self} is the pod the policy is evaluated for (its node's addresses are not ipBlock addresses). */
    private boolean peersMatch(List<NetworkPolicyPeer> peers, NetworkPolicy p, Peer other, Pod self) {
        if (peers == null || peers.isEmpty()) return true;
        for (NetworkPolicyPeer peer : peers) {
            if (peer.getIpBlock() != null) {
                if (other instanceof Peer.Address a && !nodeAddresses(self).contains(a.ip()) && inBlock(peer.getIpBlock(), a.ip())) {
                    return true;
                }
                continue;
            }
            if (!(other instanceof Peer.OfPod op)) continue;
            Pod pod = op.pod();
            String podNs = pod.getMetadata().getNamespace();
            boolean nsOk = peer.getNamespaceSelector() == null
                    ? podNs.equals(p.getMetadata().getNamespace())
                    : selectorMatches(peer.getNamespaceSelector(), namespaceLabels(podNs));
            boolean podOk = peer.getPodSelector() == null || selectorMatches(peer.getPodSelector(), pod.getMetadata().getLabels());
            if (nsOk && podOk) return true;
        }
        return false;
    }

    private Map<String, String> namespaceLabels(String ns) {
        Map<String, String> labels = new HashMap<>();
        Namespace n = namespaces.get(ns);
        if (n != null && n.getMetadata().getLabels() != null) labels.putAll(n.getMetadata().getLabels());
        labels.put("kubernetes.io/metadata.name", ns); // set by the API server on every namespace
        return labels;
    }

    private boolean portsMatch(List<NetworkPolicyPort> ports, Pod dstPod, Protocol protocol, int port, boolean egress) {
        if (ports == null || ports.isEmpty()) return true;
        for (NetworkPolicyPort p : ports) {
            String proto = p.getProtocol() == null ? "TCP" : p.getProtocol();
            if (!proto.equals(protocol.name())) continue;
            if (p.getPort() == null) return true;
            if (p.getPort().getIntVal() != null) {
                int first = p.getPort().getIntVal();
                int last = p.getEndPort() == null ? first : p.getEndPort();
                if (port >= first && port <= last) return true;
            } else if (dstPod != null) {
                String name = p.getPort().getStrVal();
                if (egress && namedPorts == NamedPorts.BY_LABELS) {
                    for (Pod twin : cluster.pods()) {
                        if (sameLabels(twin, dstPod) && hasNamedPort(twin, name, proto, port)) return true;
                    }
                } else if (hasNamedPort(dstPod, name, proto, port)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean sameLabels(Pod a, Pod b) {
        String nsA = a.getMetadata().getNamespace();
        String nsB = b.getMetadata().getNamespace();
        return namespaceLabels(nsA).equals(namespaceLabels(nsB))
                && orEmpty(a.getMetadata().getLabels()).equals(orEmpty(b.getMetadata().getLabels()));
    }

    private static boolean hasNamedPort(Pod pod, String name, String proto, int port) {
        for (Container c : orEmpty(pod.getSpec().getContainers())) {
            for (ContainerPort cp : orEmpty(c.getPorts())) {
                String cpProto = cp.getProtocol() == null ? "TCP" : cp.getProtocol();
                if (name.equals(cp.getName()) && cpProto.equals(proto) && Objects.equals(cp.getContainerPort(), port)) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean selectorMatches(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (selector == null) return true;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(l.get(e.getKey()))) return false;
            }
        }
        for (LabelSelectorRequirement r : orEmpty(selector.getMatchExpressions())) {
            boolean has = l.containsKey(r.getKey());
            List<String> values = orEmpty(r.getValues());
            boolean ok = switch (r.getOperator()) {
                case "In" -> has && values.contains(l.get(r.getKey()));
                case "NotIn" -> !has || !values.contains(l.get(r.getKey()));
                case "Exists" -> has;
                case "DoesNotExist" -> !has;
                default -> throw new IllegalArgumentException(r.getOperator());
            };
            if (!ok) return false;
        }
        return true;
    }

    private static boolean inBlock(IPBlock block, String ip) {
        if (!inCidr(block.getCidr(), ip)) return false;
        for (String e : orEmpty(block.getExcept())) {
            if (inCidr(e, ip)) return false;
        }
        return true;
    }

    /** Plain arithmetic on the address bytes: is {@code ip} within {@code cidr}? */
    static boolean inCidr(String cidr, String ip) {
        String[] parts = cidr.split("/");
        byte[] net = InetAddress.ofLiteral(parts[0]).getAddress();
        byte[] addr = InetAddress.ofLiteral(ip).getAddress();
        if (net.length != addr.length) return false;
        int bits = net.length * 8;
        int length = Integer.parseInt(parts[1]);
        BigInteger n = new BigInteger(1, net).shiftRight(bits - length);
        BigInteger a = new BigInteger(1, addr).shiftRight(bits - length);
        return n.equals(a);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static Map<String, String> orEmpty(Map<String, String> map) {
        return map == null ? Map.of() : map;
    }
}
