package io.sluice.maps;

/**
 * The constants of {@code bpf-progs/src/main/bpf/include/sluice_consts.h} that user space needs.
 * {@code DatapathConstantsTest} reads the header and fails when the two disagree.
 */
public final class DatapathConstants {
    public static final int LB4_SERVICES_MAX = 65536;
    public static final int LB4_BACKENDS_MAX = 262144;
    public static final int LB4_SLOTS_MAX = 524288;
    public static final int LB4_SOCK_REV_MAX = 262144;
    public static final int CT4_ENTRIES_MAX = 262144;

    /** sessionAffinity: ClientIP. */
    public static final int LB_F_AFFINITY = 0x0001;
    /** Traffic policy Local: only node-local backends in the slots. */
    public static final int LB_F_LOCAL_ONLY = 0x0002;
    /** externalTrafficPolicy: Cluster: SNAT to the node for remote backends. */
    public static final int LB_F_SNAT_REMOTE = 0x0004;
    /** The slots hold a Maglev table. */
    public static final int LB_F_MAGLEV = 0x0008;

    /** Forward entry of a service flow. */
    public static final int CT_F_SERVICE = 0x01;
    /** Reply entry: restore the frontend as source. */
    public static final int CT_F_REPLY = 0x02;

    private DatapathConstants() {
    }
}
