package io.sluice.maps;

/**
 * The names of the data path's maps: the contract between C and Java ({@code SEC(".maps")} variables in
 * {@code bpf-progs/src/main/bpf/include/*_maps.h}); also the file names of their pins.
 */
public enum MapName {
    LB4_SERVICES("lb4_services"),
    LB4_SLOTS("lb4_slots"),
    LB4_BACKENDS("lb4_backends"),
    LB4_SOCK_REV("lb4_sock_rev"),
    LB4_AFFINITY("lb4_affinity"),
    LB6_SERVICES("lb6_services"),
    LB6_SLOTS("lb6_slots"),
    LB6_BACKENDS("lb6_backends"),
    LB6_SOCK_REV("lb6_sock_rev"),
    LB_MAGLEV("lb_maglev"),
    CT4_ENTRIES("ct4_entries"),
    NODE4_CONFIG("node4_config"),
    SLUICE_COUNTERS("sluice_counters"),
    IPCACHE4("ipcache4"),
    IPCACHE4_HOSTS("ipcache4_hosts"),
    ENDPOINTS4("endpoints4"),
    EP4_BY_IFINDEX("ep4_by_ifindex"),
    POLICY4_ALLOW("policy4_allow"),
    POLICY4_PEERS("policy4_peers"),
    POLICY4_STATE("policy4_state"),
    POLICY4_CT("policy4_ct"),
    FRAG4_PORTS("frag4_ports"),
    SLUICE_EVENTS("sluice_events");

    private final String cName;

    MapName(String cName) {
        this.cName = cName;
    }

    /** The map's name in C, in the object and in bpffs. */
    public String cName() {
        return cName;
    }
}
