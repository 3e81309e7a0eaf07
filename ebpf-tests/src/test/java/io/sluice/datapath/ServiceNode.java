package io.sluice.datapath;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfLink;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import io.sluice.loader.TcDirection;
import io.sluice.loader.TcFilter;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.Node4Config;
import io.sluice.maps.NodeConfigMap;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A node with everything the service data path touches, in test namespaces: two pods behind veths, an external
 * interface on a bridged "LAN" shared with an external client and a second node, which holds a remote pod.
 * <pre>
 *  client pod 198.18.10.2 ─ lxc-client ┐                                 ┌─ outside (external client) 198.18.50.10
 *                                      ├ node ─ eth-ext 198.18.50.1 ─ br0 ┤
 *  web pod    198.18.11.2 ─ lxc-web    ┘                                 └─ remote node 198.18.50.3 ─ rpod 198.18.20.2
 * </pre>
 * The per-packet programs run on the node: {@code from_pod}/{@code to_pod} on both pod veths,
 * {@code from_netdev}/{@code to_netdev} on {@code eth-ext}; the socket programs on a test cgroup, which the
 * node's processes (or a pod's) join through {@code inCgroup}. Both objects share their maps through pins in one
 * bpffs folder, as the agent's objects do. Pods route everything through the node; the outside client routes
 * the external IPs ({@link #EXTERNAL_NET}) to the node; nothing leads out of the machine.
 */
final class ServiceNode implements AutoCloseable {
    static final String CLIENT_POD = "198.18.10.2";
    static final String WEB_POD = "198.18.11.2";
    static final String NODE = "198.18.50.1";
    static final String OUTSIDE = "198.18.50.10";
    static final String REMOTE_NODE = "198.18.50.3";
    static final String REMOTE_POD = "198.18.20.2";
    /** The source of a pod's flow to itself through a service; deliberately no address of any namespace. */
    static final String HAIRPIN = "198.18.99.1";
    static final String EXTERNAL_NET = "198.18.150.0/24";

    final Topology topology = new Topology();
    final Netns client;
    final Netns web;
    final Netns node;
    final Netns outside;
    final Netns remote;
    final Netns remotePod;
    final Cgroup cgroup;
    final BpfObject pod;
    final BpfObject sock;
    final ServiceMaps services;
    final ConntrackMaps flows;
    final DatapathCounters counters;
    final NodeConfigMap config;

    private final Deque<AutoCloseable> attachments = new ArrayDeque<>();
    private final Map<Lb4Key, Integer> slotCounts = new HashMap<>();
    private NetworkNamespace nodeNs;

    ServiceNode() {
        try {
            client = topology.namespace("client");
            web = topology.namespace("web");
            node = topology.namespace("node");
            Netns lan = topology.namespace("lan");
            outside = topology.namespace("outside");
            remote = topology.namespace("remote");
            remotePod = topology.namespace("rpod");

            pod(client, "lxc-client", "198.18.10");
            pod(web, "lxc-web", "198.18.11");
            topology.veth(node, "eth-ext", lan, "to-node");
            topology.veth(outside, "eth0", lan, "to-outside");
            topology.veth(remote, "eth0", lan, "to-remote");
            topology.bridge(lan, "br0", "to-node", "to-outside", "to-remote");
            topology.address(node, "eth-ext", NODE + "/24");
            topology.address(outside, "eth0", OUTSIDE + "/24");
            topology.address(remote, "eth0", REMOTE_NODE + "/24");
            topology.veth(remotePod, "eth0", remote, "lxc-r");
            topology.address(remote, "lxc-r", "198.18.20.1/24");
            topology.address(remotePod, "eth0", REMOTE_POD + "/24");
            topology.routeVia(remotePod, "default", "198.18.20.1");
            topology.routeVia(node, "198.18.20.0/24", REMOTE_NODE);
            topology.routeVia(remote, "198.18.10.0/24", NODE);
            topology.routeVia(remote, "198.18.11.0/24", NODE);
            topology.routeVia(outside, EXTERNAL_NET, NODE);
            topology.sysctl(node, "net.ipv4.ip_forward", "1");
            topology.sysctl(remote, "net.ipv4.ip_forward", "1");
            cgroup = topology.cgroup("pods");

            Path pins = topology.bpfDirectory("maps");
            pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
            attachments.push(pod);
            pod.pinMapsUnder(pins);
            pod.load();
            sock = BpfObject.open(BpfObjectFile.SOCK.bytes(), BpfObjectFile.SOCK.baseName());
            attachments.push(sock);
            sock.pinMapsUnder(pins);
            sock.load();
            services = track(ServiceMaps.of(pod));
            flows = track(ConntrackMaps.of(pod));
            counters = track(DatapathCounters.of(pod));
            config = track(NodeConfigMap.of(pod));
            config.put(new Node4Config(Ipv4.parse(NODE), Ipv4.parse(HAIRPIN)));

            nodeNs = track(NetworkNamespace.named(node.name()));
            for (String veth : List.of("lxc-client", "lxc-web")) {
                track(pod.program("from_pod").attachTc(nodeNs, veth, TcDirection.INGRESS));
                track(pod.program("to_pod").attachTc(nodeNs, veth, TcDirection.EGRESS));
            }
            track(pod.program("from_netdev").attachTc(nodeNs, "eth-ext", TcDirection.INGRESS));
            track(pod.program("to_netdev").attachTc(nodeNs, "eth-ext", TcDirection.EGRESS));
            for (String program : List.of("sock_connect4", "sock_sendmsg4", "sock_recvmsg4", "sock_getpeername4")) {
                BpfLink link = sock.program(program).attachCgroup(cgroup.path());
                track(link);
            }
        } catch (RuntimeException e) {
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** A pod namespace behind a veth whose host side is {@code hostSide}, on {@code prefix}.0/24. */
    private void pod(Netns ns, String hostSide, String prefix) {
        topology.veth(ns, "eth0", node, hostSide);
        topology.address(node, hostSide, prefix + ".1/24");
        topology.address(ns, "eth0", prefix + ".2/24");
        topology.routeVia(ns, "default", prefix + ".1");
    }

    private <T extends AutoCloseable> T track(T resource) {
        attachments.push(resource);
        return resource;
    }

    /** Writes a backend; {@code local} marks it as running on this node. */
    void backend(int id, String address, int port, IpProtocol protocol, boolean local) {
        services.putBackend(id, new Lb4Backend(Ipv4.parse(address), port, protocol,
                local ? DatapathConstants.LB_BACKEND_F_LOCAL : 0));
    }

    /** Points a frontend at backends (slot order), replacing what it had; an empty list refuses. */
    /** Writes a frontend; with {@code LB_F_MAGLEV} in {@code flags} the list is its Maglev table. */
    void frontend(Lb4Key key, int serviceId, int flags, int affinitySeconds, List<Integer> slotBackendIds) {
        int previous = slotCounts.getOrDefault(key, 0);
        if ((flags & DatapathConstants.LB_F_MAGLEV) != 0) {
            services.putMaglevService(key, new Lb4Service(serviceId, (int) slotBackendIds.stream().distinct().count(), flags,
                    affinitySeconds), slotBackendIds.stream().mapToInt(Integer::intValue).toArray(), previous);
            slotCounts.put(key, 0);
        } else {
            services.putService(key, new Lb4Service(serviceId, slotBackendIds.size(), flags, affinitySeconds),
                    slotBackendIds, previous);
            slotCounts.put(key, slotBackendIds.size());
        }
    }

    static Lb4Key key(String address, int port, IpProtocol protocol, LbScope scope) {
        return new Lb4Key(Ipv4.parse(address), port, protocol, scope);
    }

    /**
     * Forgets every conntrack and affinity entry. Entries live until the LRU evicts them, so a reply entry of
     * an earlier test's flow would rewrite a later flow that happens to reuse its addresses and ports.
     */
    void forgetFlows() {
        flows.conntrack().removeAll(flows.conntrack().keys());
        flows.affinity().removeAll(flows.affinity().keys());
    }

    long count(DatapathCounter counter) {
        return counters.read(counter);
    }

    /** Detaches everything (in reverse order), then removes the namespaces, cgroup and pins. */
    @Override
    public void close() {
        RuntimeException failure = null;
        while (!attachments.isEmpty()) {
            try {
                attachments.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing the service node", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        try {
            topology.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
