package io.sluice.datapath;

import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;

/**
 * The smallest shape of a node: a client pod and a server pod, each behind a veth whose host side is in a
 * "node" namespace that forwards between them. Service addresses (198.18.100.0/24) are routed from the client
 * pod to the node, as a pod's default route would; nothing leads out of the machine.
 * <pre>
 *  client (198.18.1.2) eth0 ─ lxc-client (198.18.1.1) [node] lxc-server (198.18.2.1) ─ eth0 (198.18.2.2) server
 * </pre>
 */
final class PodNodeTopology implements AutoCloseable {
    static final String CLIENT_IP = "198.18.1.2";
    static final String SERVER_IP = "198.18.2.2";
    static final String SERVICE_NET = "198.18.100.0/24";
    static final String CLIENT_VETH = "lxc-client";

    final Topology topology = new Topology();
    final Netns client;
    final Netns node;
    final Netns server;

    PodNodeTopology() {
        try {
            client = topology.namespace("client");
            node = topology.namespace("node");
            server = topology.namespace("server");
            topology.veth(client, "eth0", node, CLIENT_VETH);
            topology.veth(server, "eth0", node, "lxc-server");
            topology.address(client, "eth0", CLIENT_IP + "/24");
            topology.address(node, CLIENT_VETH, "198.18.1.1/24");
            topology.address(node, "lxc-server", "198.18.2.1/24");
            topology.address(server, "eth0", SERVER_IP + "/24");
            topology.sysctl(node, "net.ipv4.ip_forward", "1");
            topology.routeVia(client, "198.18.2.0/24", "198.18.1.1");
            topology.routeVia(client, SERVICE_NET, "198.18.1.1");
            topology.routeVia(server, "198.18.1.0/24", "198.18.2.1");
        } catch (RuntimeException e) {
            topology.close();
            throw e;
        }
    }

    @Override
    public void close() {
        topology.close();
    }
}
