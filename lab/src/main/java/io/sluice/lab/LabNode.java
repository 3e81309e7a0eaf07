package io.sluice.lab;

/**
 * A simulated node: a network namespace on the lab's shared segment with its own pod CIDR.
 *
 * @param name             {@code lab-N}
 * @param index            N, from 1
 * @param address          the node's address on the shared segment (198.19.0.N)
 * @param podCidr          198.19.N.0/24
 * @param gateway          the node's address on every pod link (198.19.N.1)
 * @param networkNamespace the node's network namespace, {@code <lab>-lab-N}
 */
public record LabNode(String name, int index, String address, String podCidr, String gateway,
                      String networkNamespace) {

    /** The agent's metrics URL, reachable from inside the node (and from its pods). */
    public String metricsUrl() {
        return "http://" + address + ":" + AddressPlan.METRICS_PORT + "/metrics";
    }

    /** The agent's readiness URL (200 once its maps reflect the synced manifests), from inside the node. */
    public String readyUrl() {
        return "http://" + address + ":" + AddressPlan.METRICS_PORT + "/readyz";
    }
}
