package io.sluice.lab;

import java.util.List;

/**
 * A pod of the lab: a network namespace behind a veth whose other end is in its node's namespace.
 *
 * @param namespace        the Kubernetes namespace
 * @param name             the pod's name
 * @param node             the node it runs on
 * @param address          its address, in the node's pod CIDR
 * @param networkNamespace its network namespace, {@code <lab>-<namespace>-<name>} unless that name is taken
 * @param hostInterface    the node's end of its veth, {@code lxc} and 12 hex digits
 * @param ports            what its responder listens on, sorted
 */
public record LabPod(String namespace, String name, String node, String address, String networkNamespace,
                     String hostInterface, List<PodPort> ports) {

    public LabPod {
        ports = List.copyOf(ports);
    }

    /** {@code namespace/name}. */
    public String key() {
        return namespace + "/" + name;
    }
}
