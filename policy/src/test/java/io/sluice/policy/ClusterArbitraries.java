package io.sluice.policy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Random small clusters for property tests: a few namespaces with labels, pods on two nodes with labels
 * and named ports, and policies mixing every peer kind (podSelector, namespaceSelector, both, ipBlock with
 * except, IPv4 and IPv6), numeric ports, endPort ranges, named ports, protocols and policyTypes. Value
 * pools are small on purpose so that selectors, addresses and ports collide often.
 */
final class ClusterArbitraries {

    static final List<String> NAMESPACES = List.of("alpha", "beta", "gamma");
    static final Map<String, List<String>> NODES = Map.of(
            "node-a", List.of("192.168.0.1"),
            "node-b", List.of("192.168.0.2"));
    static final List<String> CIDRS = List.of("10.1.0.0/24", "10.1.0.0/28", "10.1.0.16/28", "10.0.0.0/8", "0.0.0.0/0",
            "172.16.0.0/12", "172.16.5.0/24", "8.8.8.8/32", "192.168.0.0/16", "192.168.0.1/32", "2001:db8::/32", "::/0",
            "10.1.0.1/32", "10.1.0.4/30");
    static final List<String> EXCEPT_CANDIDATES = List.of("10.1.0.0/28", "10.1.0.16/28", "10.1.0.4/30", "10.1.0.5/32",
            "10.1.0.2/32", "10.1.0.1/32", "10.1.0.9/32", "172.16.5.0/24", "172.16.5.128/25", "8.8.8.8/32", "10.0.0.0/8", "192.168.0.0/24",
            "2001:db8::/64", "2001:db8::/32");
    /** Addresses that are not pods: outside hosts, neighbours of pods, the nodes, IPv6. */
    static final List<String> EXTERNAL_ADDRESSES = List.of("10.1.0.3", "10.1.0.20", "10.2.3.4", "172.16.5.9",
            "172.16.5.200", "172.20.0.1", "8.8.8.8", "1.1.1.1", "192.168.0.1", "192.168.0.2", "192.168.7.7",
            "2001:db8::1", "2001:db8:0:1::5", "2001:dead::1");

    private static final List<String> POD_KEYS = List.of("app", "tier");
    private static final List<String> POD_VALUES = List.of("web", "db", "x");
    private static final List<String> NS_KEYS = List.of("team", "env");
    private static final List<String> NS_VALUES = List.of("red", "blue");
    private static final List<String> PORT_NAMES = List.of("http", "metrics", "dns", "nope");

    private ClusterArbitraries() {
    }

    /** Pod IP of the i-th pod: 10.1.0.1, 10.1.0.5, ... (inside and around the CIDR pool). */
    static String podIp(int i) {
        return "10.1.0." + (1 + 4 * i);
    }

    /**
     * Clusters whose pods' named ports are a function of their labels (pods with equal labels agree, as
     * replicas of one workload do) or, with {@code namedPortsPerPod}, drawn per pod.
     */
    static Arbitrary<Cluster> clusters(boolean namedPortsPerPod) {
        Arbitrary<List<Namespace>> namespaces = Combinators.combine(
                labels(NS_KEYS, NS_VALUES), labels(NS_KEYS, NS_VALUES), labels(NS_KEYS, NS_VALUES))
                .as((a, b, c) -> List.of(namespace("alpha", a), namespace("beta", b), namespace("gamma", c)));
        Arbitrary<List<Pod>> pods = podSeed(namedPortsPerPod).list().ofMinSize(1).ofMaxSize(7)
                .map(seeds -> {
                    List<Pod> out = new ArrayList<>();
                    for (int i = 0; i < seeds.size(); i++) out.add(seeds.get(i).build(i));
                    return out;
                });
        Arbitrary<List<NetworkPolicy>> policies = policySeed().list().ofMaxSize(5)
                .map(seeds -> {
                    List<NetworkPolicy> out = new ArrayList<>();
                    for (int i = 0; i < seeds.size(); i++) out.add(seeds.get(i).build("p" + i));
                    return out;
                });
        return Combinators.combine(namespaces, pods, policies).as((n, p, pol) -> new Cluster(n, p, pol, NODES));
    }

    static Namespace namespace(String name, Map<String, String> labels) {
        return new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
    }

    static Arbitrary<Map<String, String>> labels(List<String> keys, List<String> values) {
        return Arbitraries.maps(Arbitraries.of(keys), Arbitraries.of(values)).ofMaxSize(keys.size());
    }

    // ------------------------------------------------------------------ pods

    interface PodSeed {
        Pod build(int index);
    }

    static Arbitrary<PodSeed> podSeed(boolean namedPortsPerPod) {
        Arbitrary<String> ns = Arbitraries.of(NAMESPACES);
        Arbitrary<String> node = Arbitraries.of("node-a", "node-b");
        Arbitrary<Map<String, String>> labels = labels(POD_KEYS, POD_VALUES);
        Arbitrary<Integer> portChoice = Arbitraries.integers().between(0, 63);
        return Combinators.combine(ns, node, labels, portChoice).as((n, nd, l, choice) -> index -> {
            int ports = namedPortsPerPod ? choice : Math.floorMod(l.hashCode() * 31 + n.hashCode(), 64);
            return pod(n, "pod" + index, nd, podIp(index), l, containerPorts(ports));
        });
    }

    /** Named container ports chosen by the bits of {@code choice}. */
    static List<ContainerPort> containerPorts(int choice) {
        List<ContainerPort> out = new ArrayList<>();
        if ((choice & 1) != 0) out.add(port("http", (choice & 2) != 0 ? 80 : 8080, "TCP"));
        if ((choice & 4) != 0) out.add(port("metrics", (choice & 8) != 0 ? 9090 : 9091, null));
        if ((choice & 16) != 0) out.add(port("dns", 53, (choice & 32) != 0 ? "UDP" : "TCP"));
        return out;
    }

    static ContainerPort port(String name, int number, String protocol) {
        return new ContainerPortBuilder().withName(name).withContainerPort(number).withProtocol(protocol).build();
    }

    static Pod pod(String ns, String name, String node, String ip, Map<String, String> labels, List<ContainerPort> ports) {
        return new PodBuilder()
                .withNewMetadata().withNamespace(ns).withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("main").withPorts(ports).endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP().endStatus()
                .build();
    }

    // -------------------------------------------------------------- policies

    interface PolicySeed {
        NetworkPolicy build(String name);
    }

    static Arbitrary<PolicySeed> policySeed() {
        Arbitrary<List<String>> types = Arbitraries.of(
                List.<String>of(), List.of("Ingress"), List.of("Egress"), List.of("Ingress", "Egress"));
        Arbitrary<List<NetworkPolicyIngressRule>> ingress = Combinators.combine(peers(), ports())
                .as((f, p) -> new NetworkPolicyIngressRule(f, p)).list().ofMaxSize(2);
        Arbitrary<List<NetworkPolicyEgressRule>> egress = Combinators.combine(peers(), ports())
                .as((t, p) -> new NetworkPolicyEgressRule(p, t)).list().ofMaxSize(2);
        return Combinators.combine(Arbitraries.of(NAMESPACES), podSelector(), types, ingress, egress)
                .as((ns, sel, t, in, eg) -> name -> new NetworkPolicyBuilder()
                        .withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                        .withNewSpec().withPodSelector(sel).withPolicyTypes(t.isEmpty() ? null : t)
                        .withIngress(in).withEgress(eg).endSpec().build());
    }

    static Arbitrary<List<NetworkPolicyPeer>> peers() {
        Arbitrary<NetworkPolicyPeer> peer = Arbitraries.oneOf(
                podSelector().map(s -> new NetworkPolicyPeer(null, null, s)),
                namespaceSelector().map(s -> new NetworkPolicyPeer(null, s, null)),
                Combinators.combine(namespaceSelector(), podSelector()).as((n, p) -> new NetworkPolicyPeer(null, n, p)),
                ipBlock().map(b -> new NetworkPolicyPeer(b, null, null)));
        return peer.list().ofMaxSize(2);
    }

    static Arbitrary<IPBlock> ipBlock() {
        return Arbitraries.of(CIDRS).flatMap(cidr -> {
            IpPrefix block = IpPrefix.parseCidr(cidr);
            List<String> candidates = EXCEPT_CANDIDATES.stream()
                    .filter(e -> {
                        IpPrefix p = IpPrefix.parseCidr(e);
                        return block.contains(p) && p.length() > block.length();
                    }).toList();
            if (candidates.isEmpty()) return Arbitraries.just(new IPBlock(cidr, null));
            return Arbitraries.of(candidates).list().ofMaxSize(2).map(ex -> new IPBlock(cidr, ex.isEmpty() ? null : ex));
        });
    }

    static Arbitrary<List<NetworkPolicyPort>> ports() {
        Arbitrary<String> protocol = Arbitraries.of("TCP", "UDP", "SCTP").injectNull(0.3);
        Arbitrary<NetworkPolicyPort> numeric = Combinators.combine(protocol, Arbitraries.of(53, 80, 443, 8080, 9090),
                        Arbitraries.of(0, 1, 100, 2000).injectNull(0.6))
                .as((pr, p, extra) -> new NetworkPolicyPort(extra == null ? null : p + extra, new IntOrString(p), pr));
        Arbitrary<NetworkPolicyPort> named = Combinators.combine(protocol, Arbitraries.of(PORT_NAMES))
                .as((pr, n) -> new NetworkPolicyPort(null, new IntOrString(n), pr));
        Arbitrary<NetworkPolicyPort> allOfProtocol = protocol.map(pr -> new NetworkPolicyPort(null, null, pr));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, numeric), net.jqwik.api.Tuple.of(3, named), net.jqwik.api.Tuple.of(1, allOfProtocol))
                .list().ofMaxSize(2);
    }

    static Arbitrary<LabelSelector> podSelector() {
        return selector(POD_KEYS, POD_VALUES);
    }

    static Arbitrary<LabelSelector> namespaceSelector() {
        Arbitrary<LabelSelector> byName = Arbitraries.of(NAMESPACES).list().ofMinSize(1).ofMaxSize(2).uniqueElements()
                .map(names -> new LabelSelectorBuilder().addToMatchExpressions(
                        new LabelSelectorRequirement("kubernetes.io/metadata.name", "In", names)).build());
        return Arbitraries.oneOf(selector(NS_KEYS, NS_VALUES), byName);
    }

    static Arbitrary<LabelSelector> selector(List<String> keys, List<String> values) {
        Arbitrary<LabelSelectorRequirement> requirement = Combinators.combine(
                        Arbitraries.of(keys), Arbitraries.of("In", "NotIn", "Exists", "DoesNotExist"),
                        Arbitraries.of(values).set().ofMinSize(1).ofMaxSize(2))
                .as((k, op, vals) -> new LabelSelectorRequirement(k, op,
                        op.equals("In") || op.equals("NotIn") ? new ArrayList<>(new TreeSet<>(vals)) : null));
        Arbitrary<Map<String, String>> matchLabels = labels(keys, values);
        return Combinators.combine(matchLabels, requirement.list().ofMaxSize(2))
                .as((ml, exprs) -> new LabelSelectorBuilder()
                        .withMatchLabels(ml.isEmpty() ? null : new LinkedHashMap<>(ml))
                        .withMatchExpressions(exprs.isEmpty() ? null : exprs).build());
    }

    // ----------------------------------------------------------- descriptions

    static String describe(Pod p) {
        StringBuilder ports = new StringBuilder();
        p.getSpec().getContainers().forEach(c -> c.getPorts().forEach(cp -> ports.append(' ').append(cp.getName())
                .append('/').append(cp.getProtocol() == null ? "TCP" : cp.getProtocol()).append('=').append(cp.getContainerPort())));
        return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName() + " " + p.getMetadata().getLabels()
                + " @" + p.getStatus().getPodIP() + " on " + p.getSpec().getNodeName() + " ports[" + ports.toString().trim() + "]";
    }

    static String describe(NetworkPolicy p) {
        var s = p.getSpec();
        StringBuilder sb = new StringBuilder(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
        sb.append(" select ").append(selector(s.getPodSelector())).append(" types ").append(s.getPolicyTypes());
        if (s.getIngress() != null) s.getIngress().forEach(r -> sb.append(" | in from ").append(peers(r.getFrom())).append(" ports ").append(ports(r.getPorts())));
        if (s.getEgress() != null) s.getEgress().forEach(r -> sb.append(" | eg to ").append(peers(r.getTo())).append(" ports ").append(ports(r.getPorts())));
        return sb.toString();
    }

    private static String selector(LabelSelector s) {
        if (s == null) return "-";
        StringBuilder sb = new StringBuilder("{");
        if (s.getMatchLabels() != null && !s.getMatchLabels().isEmpty()) sb.append(s.getMatchLabels());
        if (s.getMatchExpressions() != null) s.getMatchExpressions().forEach(r -> sb.append(' ').append(r.getKey()).append(' ')
                .append(r.getOperator()).append(r.getValues() == null || r.getValues().isEmpty() ? "" : " " + r.getValues()));
        return sb.append('}').toString();
    }

    private static String peers(List<NetworkPolicyPeer> peers) {
        if (peers == null || peers.isEmpty()) return "[all]";
        StringBuilder sb = new StringBuilder("[");
        for (NetworkPolicyPeer p : peers) {
            if (sb.length() > 1) sb.append(", ");
            if (p.getIpBlock() != null) {
                sb.append("ipBlock ").append(p.getIpBlock().getCidr());
                if (p.getIpBlock().getExcept() != null && !p.getIpBlock().getExcept().isEmpty()) sb.append(" except ").append(p.getIpBlock().getExcept());
            } else {
                if (p.getNamespaceSelector() != null) sb.append("ns").append(selector(p.getNamespaceSelector()));
                if (p.getPodSelector() != null) sb.append("pod").append(selector(p.getPodSelector()));
            }
        }
        return sb.append(']').toString();
    }

    private static String ports(List<NetworkPolicyPort> ports) {
        if (ports == null || ports.isEmpty()) return "[all]";
        StringBuilder sb = new StringBuilder("[");
        for (NetworkPolicyPort p : ports) {
            if (sb.length() > 1) sb.append(", ");
            sb.append(p.getProtocol() == null ? "(TCP)" : p.getProtocol()).append('/');
            sb.append(p.getPort() == null ? "*" : p.getPort().getIntVal() != null ? p.getPort().getIntVal().toString() : p.getPort().getStrVal());
            if (p.getEndPort() != null) sb.append("-").append(p.getEndPort());
        }
        return sb.append(']').toString();
    }

    // --------------------------------------------------------------- queries

    /** Ports worth probing: every number a policy or container names, and its neighbours. */
    static List<Integer> probePorts(Cluster cluster) {
        TreeSet<Integer> numbers = new TreeSet<>(List.of(1, 65535));
        for (NetworkPolicy p : cluster.policies()) {
            List<NetworkPolicyPort> all = new ArrayList<>();
            if (p.getSpec().getIngress() != null) p.getSpec().getIngress().forEach(r -> { if (r.getPorts() != null) all.addAll(r.getPorts()); });
            if (p.getSpec().getEgress() != null) p.getSpec().getEgress().forEach(r -> { if (r.getPorts() != null) all.addAll(r.getPorts()); });
            for (NetworkPolicyPort port : all) {
                if (port.getPort() != null && port.getPort().getIntVal() != null) addAround(numbers, port.getPort().getIntVal());
                if (port.getEndPort() != null) addAround(numbers, port.getEndPort());
            }
        }
        for (Pod pod : cluster.pods()) {
            pod.getSpec().getContainers().forEach(c -> c.getPorts().forEach(cp -> addAround(numbers, cp.getContainerPort())));
        }
        return List.copyOf(numbers);
    }

    private static void addAround(TreeSet<Integer> numbers, int n) {
        for (int d = -1; d <= 1; d++) {
            if (n + d >= 1 && n + d <= 65535) numbers.add(n + d);
        }
    }
}
