package io.sluice.cli;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import io.sluice.loader.TcDirection;
import io.sluice.loader.TcFilter;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.Lb4AffinityKey;
import io.sluice.maps.Lb4AffinityValue;
import io.sluice.maps.NodeConfigMap;
import io.sluice.maps.Pct4Entry;
import io.sluice.maps.Pct4Key;
import io.sluice.maps.PolicyMaps;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node as the agent leaves it, for {@code sluice explain}: three pods behind veths whose host sides are in a node
 * namespace that routes between them, the pod programs attached to every veth (from_pod at ingress, to_pod at
 * egress) with their maps pinned under a bpffs folder of the test's own. Service addresses (198.18.100.0/24) are
 * routed from the pods to the node. Nothing leads out of the machine.
 * <pre>
 *  a (198.18.1.2) ─ lxc-a ┐
 *  b (198.18.2.2) ─ lxc-b ┼ node (ip_forward)
 *  c (198.18.3.2) ─ lxc-c ┘
 * </pre>
 */
final class ExplainNode implements AutoCloseable {
    static final String A = "198.18.1.2";
    static final String B = "198.18.2.2";
    static final String C = "198.18.3.2";

    final Topology topology = new Topology();
    final Netns node;
    final Netns a;
    final Netns b;
    final Netns c;
    final Path pinDir;
    final BpfObject pod;
    final ServiceMaps services;
    final PolicyMaps policy;
    final ConntrackMaps conntrack;
    final NodeConfigMap nodeConfig;
    private final NetworkNamespace nodeNs;
    private final List<TcFilter> filters = new ArrayList<>();

    ExplainNode() {
        try {
            node = topology.namespace("node");
            a = pod("a", "lxc-a", A, "198.18.1.1");
            b = pod("b", "lxc-b", B, "198.18.2.1");
            c = pod("c", "lxc-c", C, "198.18.3.1");
            topology.sysctl(node, "net.ipv4.ip_forward", "1");
            pinDir = topology.bpfDirectory("explain");
            pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
            pod.pinMapsUnder(pinDir.resolve("maps"));
            pod.load();
            nodeNs = NetworkNamespace.named(node.name());
            for (String veth : List.of("lxc-a", "lxc-b", "lxc-c")) {
                filters.add(pod.program("from_pod").attachTc(nodeNs, veth, TcDirection.INGRESS));
                filters.add(pod.program("to_pod").attachTc(nodeNs, veth, TcDirection.EGRESS));
            }
            services = ServiceMaps.of(pod);
            policy = PolicyMaps.of(pod);
            conntrack = ConntrackMaps.of(pod);
            nodeConfig = NodeConfigMap.of(pod);
        } catch (RuntimeException e) {
            topology.close();
            throw e;
        }
    }

    private Netns pod(String name, String veth, String address, String gateway) {
        Netns ns = topology.namespace(name);
        topology.veth(ns, "eth0", node, veth);
        topology.address(ns, "eth0", address + "/24");
        topology.address(node, veth, gateway + "/24");
        topology.routeVia(ns, "198.18.0.0/16", gateway);
        return ns;
    }

    /** The index of a veth in the node's namespace. */
    int veth(String name) {
        return nodeNs.interfaceIndex(name);
    }

    /** Everything the programs write for flows: conntrack, policy conntrack, affinity. */
    record FlowState(Map<Ct4Key, Ct4Entry> conntrack, Map<Pct4Key, Pct4Entry> policyConntrack,
                     Map<Lb4AffinityKey, Lb4AffinityValue> affinity) {
    }

    FlowState flowState() {
        return new FlowState(conntrack.conntrackEntries(), policy.conntrack().entries(), conntrack.affinityEntries());
    }

    /** Runs {@code sluice explain} in the node's namespace against this node's pins. */
    CliRunner.Result explain(String... args) {
        List<String> all = new ArrayList<>(List.of("explain", "--netns", node.name(), "--pin-dir", pinDir.toString()));
        all.addAll(List.of(args));
        return CliRunner.run(all.toArray(String[]::new));
    }

    @Override
    public void close() {
        filters.forEach(TcFilter::close);
        CloseAll.inOrder(nodeConfig, conntrack, policy, services, pod, nodeNs, topology);
    }
}
