/* Constants shared by every Sluice program: map sizes, flags, counter slots. User space mirrors them in
 * io.sluice.maps.DatapathConstants; a test reads this header to keep the two equal. */
#ifndef SLUICE_CONSTS_H
#define SLUICE_CONSTS_H

#define LB4_SERVICES_MAX	131072
#define LB4_BACKENDS_MAX	262144
#define LB4_SLOTS_MAX		524288
/* The LRU maps (the kernel preallocates every entry at creation) are compiled at the agent's default for a node
 * of up to 4 CPUs; the agent sizes them per node before load (io.sluice.agent.config.LruMapSizes), and a map already
 * pinned keeps its size. */
#define LB4_SOCK_REV_MAX	65536
#define LB4_AFFINITY_MAX	65536
#define CT4_ENTRIES_MAX		131072
#define LB6_SERVICES_MAX	65536
#define LB6_BACKENDS_MAX	131072
#define LB6_SLOTS_MAX		262144
#define LB6_SOCK_REV_MAX	65536
/* Maglev frontends (both families: service ids are one space). Each has its own lookup table, an array map made
 * by user space (4 bytes per slot), so this bounds the count of tables, not memory that is reserved up front. */
#define LB_MAGLEV_MAX		65536
/* Largest Maglev table (slots per table, a prime) the agent writes; the data path itself takes any size. */
#define LB_MAGLEV_TABLE_SIZE_MAX	131071

/* lb4_key.scope: which traffic a frontend serves. */
#define LB_SCOPE_EXTERNAL	0
#define LB_SCOPE_INTERNAL	1

/* lb4_service.flags */
#define LB_F_AFFINITY		0x0001	/* sessionAffinity: ClientIP */
#define LB_F_LOCAL_ONLY		0x0002	/* traffic policy Local: only node-local backends in the slots */
#define LB_F_SNAT_REMOTE	0x0004	/* externalTrafficPolicy: Cluster: SNAT to the node for remote backends */
#define LB_F_MAGLEV		0x0008	/* the backend comes from the service's table in lb_maglev, not from the slots */

/* lb4_backend.flags */
#define LB_BACKEND_F_LOCAL	0x01	/* the backend runs on this node */

/* ct4_entry.flags */
#define CT_F_SERVICE		0x01	/* forward entry of a service flow: nat_* is the chosen backend */
#define CT_F_REPLY		0x02	/* reply entry: nat_* is the frontend to restore as source */
#define CT_F_SNAT		0x04	/* the other side is translated too: peer_* is the new source (forward) or
					 * the client to restore as destination (reply) */
#define CT_F_EXTERNAL		0x08	/* the flow entered through the node's external interface */
#define CT_F_HAIRPIN		0x10	/* a pod reached itself through a service: packets go back out its veth */

/* Source ports for SNAT when the client's own port is taken: above Linux's default ephemeral range
 * (net.ipv4.ip_local_port_range 32768-60999), so they do not collide with the node's own connections. */
#define SNAT_PORT_MIN		61000
#define SNAT_PORT_MAX		65535
#define SNAT_PORT_TRIES		16

/* Seed of the flow hash that picks a Maglev slot; the same on every node, so a flow that an upstream load
 * balancer moves to another node keeps its backend. */
#define LB_HASH_SEED		0x5c1ce5ed

/* Slots of the per-CPU array sluice_counters. Append only; never renumber. */
enum sluice_counter {
	CNT_PACKETS = 0,		/* packets seen by the pod programs */
	CNT_SERVICE_NEW,		/* new service flows (backend chosen) */
	CNT_SERVICE_ESTABLISHED,	/* packets of known service flows (conntrack hit) */
	CNT_REVERSE_NAT,		/* replies rewritten back to the frontend */
	CNT_DROP_NO_BACKEND,		/* a frontend with no backend, and no refusal could be sent */
	CNT_DROP_MALFORMED,		/* truncated or malformed headers */
	CNT_SOCK_CONNECT_NAT,		/* connect()/sendmsg() rewritten to a backend */
	CNT_SOCK_REFUSED,		/* connect()/sendmsg() refused: no backend */
	CNT_NETDEV_PACKETS,		/* packets seen by the external interface programs */
	CNT_AFFINITY_HIT,		/* new flows or connections sent to the client's affinity backend */
	CNT_REFUSED_NO_BACKEND,		/* TCP RST or ICMP port unreachable sent for a frontend with no backend */
	CNT_SNAT,			/* new flows source-NATed (to the node for a remote backend, or hairpin) */
	CNT_DROP_SNAT,			/* no SNAT address configured, or no free source port */
	CNT_DROP_POLICY_INGRESS,	/* NetworkPolicy: no entry allows the flow into the pod */
	CNT_DROP_POLICY_EGRESS,		/* NetworkPolicy: no entry allows the flow out of the pod */
	CNT_DROP_SPOOFED,		/* a pod sent from an address that is not its own */
	CNT_DROP_FRAGMENT,		/* a later IPv4 fragment of an endpoint whose first fragment was not seen */
	CNT_DROP_UNSUPPORTED_L3,	/* IPv6 to or from an endpoint that enforces policy */
	CNT_EVENTS_LOST,		/* events not reported: the ring buffer sluice_events was full */
	CNT_MAX,
};

#endif
