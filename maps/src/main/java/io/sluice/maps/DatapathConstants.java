package io.sluice.maps;

/**
 * The constants of {@code bpf-progs/src/main/bpf/include/sluice_consts.h} that user space needs.
 * {@code DatapathConstantsTest} reads the header and fails when the two disagree.
 */
public final class DatapathConstants {
    public static final int LB4_SERVICES_MAX = 131072;
    public static final int LB4_BACKENDS_MAX = 262144;
    public static final int LB4_SLOTS_MAX = 524288;
    /** The LRU maps' compiled sizes; the agent sizes them per node before load, a pinned map keeps its size. */
    public static final int LB4_SOCK_REV_MAX = 65536;
    public static final int LB4_AFFINITY_MAX = 65536;
    public static final int CT4_ENTRIES_MAX = 131072;
    public static final int LB6_SERVICES_MAX = 65536;
    public static final int LB6_BACKENDS_MAX = 131072;
    public static final int LB6_SLOTS_MAX = 262144;
    public static final int LB6_SOCK_REV_MAX = 65536;
    /** Maglev tables ({@code lb_maglev}): one per Maglev frontend, of either family. */
    public static final int LB_MAGLEV_MAX = 65536;
    /** Largest Maglev table size (slots) the agent writes. */
    public static final int LB_MAGLEV_TABLE_SIZE_MAX = 131071;

    /** {@code lb4_key.scope} of frontends for traffic from outside the node. */
    public static final int LB_SCOPE_EXTERNAL = 0;
    /** {@code lb4_key.scope} of frontends for traffic from the node and its pods. */
    public static final int LB_SCOPE_INTERNAL = 1;

    /** sessionAffinity: ClientIP. */
    public static final int LB_F_AFFINITY = 0x0001;
    /** Traffic policy Local: only node-local backends in the slots. */
    public static final int LB_F_LOCAL_ONLY = 0x0002;
    /** externalTrafficPolicy: Cluster: SNAT to the node for remote backends. */
    public static final int LB_F_SNAT_REMOTE = 0x0004;
    /** The backend comes from the service's table in {@code lb_maglev}, not from the slots. */
    public static final int LB_F_MAGLEV = 0x0008;

    /** {@code lb4_backend.flags}: the backend runs on this node (no SNAT needed for external traffic). */
    public static final int LB_BACKEND_F_LOCAL = 0x01;

    /** Forward entry of a service flow. */
    public static final int CT_F_SERVICE = 0x01;
    /** Reply entry: restore the frontend as source. */
    public static final int CT_F_REPLY = 0x02;
    /** The other side is translated too: the entry's peer is the new source (forward) or the client (reply). */
    public static final int CT_F_SNAT = 0x04;
    /** The flow entered through the node's external interface. */
    public static final int CT_F_EXTERNAL = 0x08;
    /** A pod reached itself through a service. */
    public static final int CT_F_HAIRPIN = 0x10;

    /** Lowest source port for SNAT when the client's own port is taken. */
    public static final int SNAT_PORT_MIN = 61000;
    /** Highest source port for SNAT. */
    public static final int SNAT_PORT_MAX = 65535;
    /** Random ports tried before a flow needing SNAT is dropped. */
    public static final int SNAT_PORT_TRIES = 16;
    /** Seed of the flow hash that picks a Maglev slot. */
    public static final int LB_HASH_SEED = 0x5c1ce5ed;

    private DatapathConstants() {
    }
}
