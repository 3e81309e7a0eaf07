package io.sluice.maps;

/**
 * The constants of {@code bpf-progs/src/main/bpf/include/policy_consts.h}: map sizes, reserved identities,
 * directions, flags, verdicts, key prefix lengths and drop reasons of the NetworkPolicy data path.
 * {@code PolicyConstantsTest} reads the header and fails when the two disagree.
 */
public final class PolicyConstants {
    public static final int IPCACHE4_ENTRIES_MAX = 262144;
    public static final int IPCACHE4_HOSTS_MAX = 262144;
    public static final int ENDPOINTS4_MAX = 65536;
    public static final int POLICY4_ENTRIES_MAX = 262144;
    public static final int POLICY4_PEERS_MAX = 262144;
    /** Compiled size of the LRU map {@code policy4_ct}; the agent sizes it per node before load. */
    public static final int POLICY4_CT_MAX = 131072;
    public static final int FRAG4_PORTS_MAX = 8192;
    /** Size of the ring buffer {@code sluice_events} in bytes. */
    public static final int SLUICE_EVENTS_BYTES = 1048576;

    /** Policy keys only: every peer. */
    public static final int IDENTITY_ANY = 0;
    /** This node. */
    public static final int IDENTITY_HOST = 1;
    /** An address no ipcache entry covers. */
    public static final int IDENTITY_WORLD = 2;

    /** {@code policy4_key.direction}: traffic into the endpoint. */
    public static final int POLICY_INGRESS = 0;
    /** {@code policy4_key.direction}: traffic the endpoint sends. */
    public static final int POLICY_EGRESS = 1;

    /** {@code ep4_info.flags}: the endpoint denies ingress that no entry allows. */
    public static final int EP_F_INGRESS_ENFORCED = 0x01;
    /** {@code ep4_info.flags}: the endpoint denies egress that no entry allows. */
    public static final int EP_F_EGRESS_ENFORCED = 0x02;

    /** {@code pct4_entry.flags}: the flow's first packet came from the node's own stack. */
    public static final int PCT_F_FROM_HOST = 0x01;

    /** {@code policy4_value.verdict} of every entry. */
    public static final int POLICY_VERDICT_ALLOW = 1;
    /** {@code drop_event.verdict}. */
    public static final int POLICY_VERDICT_DENY = 2;

    /** {@code policy4_peer.flags}: an entry for every protocol and port exists. */
    public static final int POLICY4_PEER_F_ANY_PROTOCOL = 0x01;

    /** Prefix tools show for a policy4 entry for every protocol and port: endpoint, direction, pad and identity. */
    public static final int POLICY4_PREFIX_ANY_PROTOCOL = 64;
    /** Prefix of a policy4 entry for one protocol before its port bits: the identity's, protocol and pad. */
    public static final int POLICY4_PREFIX_PORT_BASE = 80;
    /** Prefix of an entry for one port: every bit. */
    public static final int POLICY4_PREFIX_FULL = 96;

    /** {@code drop_event.kind}. */
    public static final int EVENT_KIND_DROP = 1;

    public static final int DROP_REASON_POLICY = 1;
    public static final int DROP_REASON_SPOOFED = 2;
    public static final int DROP_REASON_FRAGMENT = 3;
    public static final int DROP_REASON_UNSUPPORTED_L3 = 4;

    private PolicyConstants() {
    }
}
