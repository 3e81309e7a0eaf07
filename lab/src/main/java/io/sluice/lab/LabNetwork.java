package io.sluice.lab;

import java.util.List;

/**
 * Builds and removes the lab's network namespaces and links. Every link is created inside a namespace of the lab
 * (never in the machine's own), so removing the namespaces removes every interface:
 * <pre>
 *  fabric ns:  br0 ── veth-lab-1 ─┐         ┌─ veth-lab-2 ── br0
 *                                 │         │
 *  lab-1 ns:   eth0 198.19.0.1/24 ┘         └ eth0 198.19.0.2/24   (routes 198.19.N.0/24 via 198.19.0.N)
 *              lo 198.19.1.1/32 (pod gateway)   lxc… ── eth0 of a pod, 198.19.1.K/32, default via 198.19.1.1
 * </pre>
 * Node namespaces forward (ip_forward) and have no default route, so nothing leaves the lab.
 */
final class LabNetwork {
    private LabNetwork() {
    }

    /** A node's interface on the shared segment: where other nodes' traffic, and NodePort traffic, arrives. */
    static final String NODE_INTERFACE = "eth0";

    /** The namespace of the shared segment, with its bridge. */
    static void createFabric(String fabric) {
        createNamespace(fabric);
        HostCommand.run("ip", "-n", fabric, "link", "add", "br0", "type", "bridge");
        HostCommand.run("ip", "-n", fabric, "link", "set", "br0", "up");
    }

    /** A node on the segment, forwarding, with the pod gateway address. Routes to other nodes come later. */
    static void createNode(String fabric, LabNode node) {
        createNamespace(node.networkNamespace());
        String ns = node.networkNamespace();
        String port = fabricPort(node);
        HostCommand.run("ip", "-n", fabric, "link", "add", port, "type", "veth", "peer", "name", NODE_INTERFACE, "netns", ns);
        HostCommand.run("ip", "-n", fabric, "link", "set", port, "master", "br0");
        HostCommand.run("ip", "-n", fabric, "link", "set", port, "up");
        HostCommand.run("ip", "-n", ns, "addr", "add", node.address() + "/24", "dev", NODE_INTERFACE);
        HostCommand.run("ip", "-n", ns, "link", "set", NODE_INTERFACE, "up");
        // The gateway address every pod of the node routes through; the node answers ARP for it on each lxc link.
        HostCommand.run("ip", "-n", ns, "addr", "add", node.gateway() + "/32", "dev", "lo");
        HostCommand.run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    }

    /** Routes from {@code node} to the pod CIDRs of the other nodes, via their addresses. */
    static void routeToPeers(LabNode node, List<LabNode> all) {
        for (LabNode peer : all) {
            if (peer.index() != node.index()) {
                HostCommand.run("ip", "-n", node.networkNamespace(), "route", "add", peer.podCidr(), "via", peer.address());
            }
        }
    }

    /** The bridge port of {@code node} in the fabric namespace (at most 15 characters for up to 64 nodes). */
    static String fabricPort(LabNode node) {
        return "veth-" + node.name();
    }

    /** A pod's namespace behind a veth on its node, with its address and a default route via the node. */
    static void createPod(LabNode node, LabPod pod) {
        String ns = pod.networkNamespace();
        String nodeNs = node.networkNamespace();
        createNamespace(ns);
        HostCommand.run("ip", "-n", nodeNs, "link", "add", pod.hostInterface(), "type", "veth", "peer", "name", "eth0",
                "netns", ns);
        HostCommand.run("ip", "-n", nodeNs, "link", "set", pod.hostInterface(), "up");
        HostCommand.run("ip", "-n", nodeNs, "route", "add", pod.address() + "/32", "dev", pod.hostInterface(),
                "scope", "link");
        HostCommand.run("ip", "-n", ns, "addr", "add", pod.address() + "/32", "dev", "eth0");
        HostCommand.run("ip", "-n", ns, "link", "set", "eth0", "up");
        HostCommand.run("ip", "-n", ns, "route", "add", node.gateway(), "dev", "eth0", "scope", "link");
        HostCommand.run("ip", "-n", ns, "route", "add", "default", "via", node.gateway(), "dev", "eth0");
    }

    private static void createNamespace(String name) {
        HostCommand.run("ip", "netns", "add", name);
        HostCommand.run("ip", "-n", name, "link", "set", "lo", "up");
    }

    static boolean namespaceExists(String name) {
        return java.nio.file.Files.exists(LabLayout.netnsFile(name));
    }

    /** The PIDs of processes in namespace {@code name} (none when it does not exist). */
    static List<Long> pidsIn(String name) {
        if (!namespaceExists(name)) {
            return List.of();
        }
        HostCommand.Result r = HostCommand.attempt("ip", "netns", "pids", name);
        if (!r.succeeded()) {
            return List.of();
        }
        return r.output().lines().map(String::strip).filter(s -> !s.isEmpty() && s.chars().allMatch(Character::isDigit))
                .map(Long::parseLong).toList();
    }

    /**
     * Deletes namespace {@code name} (nothing when it does not exist), after killing what still runs in it: only
     * lab processes run in lab namespaces. Its interfaces go with it.
     *
     * @throws LabOperationException when it cannot be deleted
     */
    static void deleteNamespace(String name) {
        if (!namespaceExists(name)) {
            return;
        }
        for (Long pid : pidsIn(name)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        HostCommand.run("ip", "netns", "delete", name);
    }
}
