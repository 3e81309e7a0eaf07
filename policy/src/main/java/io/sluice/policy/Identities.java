package io.sluice.policy;

/**
 * Numeric security identities and their ranges. An identity is what the ipcache maps an address to and
 * what a policy entry names as the peer.
 *
 * <pre>
 *   0                   ANY: in a policy entry, "every peer"; never the identity of an address
 *   1                   HOST: the addresses of this node (kubelet probes, host-network pods)
 *   2                   WORLD: an address that is neither a known pod, nor this node, nor inside any
 *                       CIDR an ipBlock names (the data path uses it when the ipcache has no match)
 *   256 .. 2^24-1       pods: one per distinct (namespace labels, pod labels)
 *   2^24 .. 2^25-1      CIDRs: one per prefix named by an ipBlock cidr or except
 * </pre>
 *
 * Identities are local to one node: every node derives its ipcache from the pods it watches, and no
 * identity travels in packets, so two nodes may number the same labels differently.
 */
public final class Identities {

    /** Wildcard peer in a policy entry. */
    public static final int ANY = 0;
    /** This node. */
    public static final int HOST = 1;
    /** Any address not otherwise known. */
    public static final int WORLD = 2;
    /** First pod identity. */
    public static final int FIRST_POD = 256;
    /** Last pod identity. */
    public static final int LAST_POD = (1 << 24) - 1;
    /** First CIDR identity. */
    public static final int FIRST_CIDR = 1 << 24;
    /** Last CIDR identity. */
    public static final int LAST_CIDR = (1 << 25) - 1;

    private Identities() {
    }

    /** Whether {@code id} is a pod identity. */
    public static boolean isPod(int id) {
        return id >= FIRST_POD && id <= LAST_POD;
    }

    /** Whether {@code id} is a CIDR identity. */
    public static boolean isCidr(int id) {
        return id >= FIRST_CIDR && id <= LAST_CIDR;
    }
}
