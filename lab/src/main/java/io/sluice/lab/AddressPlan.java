package io.sluice.lab;

/**
 * The lab's addresses, all inside 198.19.0.0/16 (198.18.0.0/16 belongs to the kernel test harness): node
 * {@code lab-N} is {@code 198.19.0.N/24} on the shared segment, its pods are in {@code 198.19.N.0/24} with the node
 * answering as gateway on {@code 198.19.N.1}, and Services get cluster IPs from {@code 198.19.240.0/20}.
 */
public final class AddressPlan {
    /** At most this many nodes: their pod CIDRs must stay below the service range. */
    public static final int MAX_NODES = 64;
    public static final String NODE_PREFIX = "lab-";
    public static final String NODE_CIDR = "198.19.0.0/24";
    public static final String SERVICE_CIDR = "198.19.240.0/20";
    /** Where each agent serves /metrics, /healthz and /readyz, on its node's address. */
    public static final int METRICS_PORT = 9964;
    public static final int NODE_PORT_MIN = 30000;
    public static final int NODE_PORT_MAX = 32767;

    static final int NODE_NETWORK = Ipv4.parse("198.19.0.0");
    static final int SERVICE_NETWORK = Ipv4.parse("198.19.240.0");
    static final int SERVICE_PREFIX_LENGTH = 20;
    /** Pods of a node get .2 to .254 of its /24; .1 is the node's gateway address. */
    static final int FIRST_POD_HOST = 2;
    static final int LAST_POD_HOST = 254;

    private AddressPlan() {
    }

    /** {@code lab-N}. */
    public static String nodeName(int index) {
        return NODE_PREFIX + index;
    }

    public static String nodeAddress(int index) {
        return Ipv4.format(NODE_NETWORK + index);
    }

    /** The first address of node {@code index}'s pod CIDR. */
    static int podNetwork(int index) {
        return NODE_NETWORK + (index << 8);
    }

    public static String podCidr(int index) {
        return Ipv4.format(podNetwork(index)) + "/24";
    }

    /** The node's address on each pod's link, the pods' default gateway. */
    public static String podGateway(int index) {
        return Ipv4.format(podNetwork(index) + 1);
    }

    /** The node (1-based) whose pod CIDR holds {@code address}, or 0. */
    static int nodeOfPodAddress(int address, int nodes) {
        for (int i = 1; i <= nodes; i++) {
            if (Ipv4.contains(podNetwork(i), 24, address)) {
                return i;
            }
        }
        return 0;
    }

    static boolean isServiceAddress(int address) {
        return Ipv4.contains(SERVICE_NETWORK, SERVICE_PREFIX_LENGTH, address)
                && address != SERVICE_NETWORK && address != SERVICE_NETWORK + (1 << (32 - SERVICE_PREFIX_LENGTH)) - 1;
    }
}
