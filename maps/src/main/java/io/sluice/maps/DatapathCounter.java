package io.sluice.maps;

/**
 * The slots of the per-CPU array {@code sluice_counters}, in the order of {@code enum sluice_counter}
 * (sluice_consts.h): the ordinal is the slot. Append only; never renumber.
 */
public enum DatapathCounter {
    PACKETS,
    SERVICE_NEW,
    SERVICE_ESTABLISHED,
    REVERSE_NAT,
    DROP_NO_BACKEND,
    DROP_MALFORMED,
    SOCK_CONNECT_NAT,
    SOCK_REFUSED,
    NETDEV_PACKETS,
    AFFINITY_HIT,
    REFUSED_NO_BACKEND,
    SNAT,
    DROP_SNAT,
    DROP_POLICY_INGRESS,
    DROP_POLICY_EGRESS,
    DROP_SPOOFED,
    DROP_FRAGMENT,
    DROP_UNSUPPORTED_L3,
    EVENTS_LOST;

    /** The C enumerator's name, e.g. {@code CNT_SERVICE_NEW}. */
    public String cName() {
        return "CNT_" + name();
    }
}
