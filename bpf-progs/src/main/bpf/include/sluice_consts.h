/* Constants shared by every Sluice program: map sizes, flags, counter slots. User space mirrors them in
 * io.sluice.maps.DatapathConstants; a test reads this header to keep the two equal. */
#ifndef SLUICE_CONSTS_H
#define SLUICE_CONSTS_H

#define LB4_SERVICES_MAX	65536
#define LB4_BACKENDS_MAX	262144
#define LB4_SLOTS_MAX		524288
#define LB4_SOCK_REV_MAX	262144
#define CT4_ENTRIES_MAX		262144

/* lb4_key.scope: which traffic a frontend serves. */
#define LB_SCOPE_EXTERNAL	0
#define LB_SCOPE_INTERNAL	1

/* lb4_service.flags */
#define LB_F_AFFINITY		0x0001	/* sessionAffinity: ClientIP */
#define LB_F_LOCAL_ONLY		0x0002	/* traffic policy Local: only node-local backends in the slots */
#define LB_F_SNAT_REMOTE	0x0004	/* externalTrafficPolicy: Cluster: SNAT to the node for remote backends */
#define LB_F_MAGLEV		0x0008	/* slots hold a Maglev table instead of one entry per backend */

/* ct4_entry.flags */
#define CT_F_SERVICE		0x01	/* forward entry of a service flow: nat_* is the chosen backend */
#define CT_F_REPLY		0x02	/* reply entry: nat_* is the frontend to restore as source */

/* Slots of the per-CPU array sluice_counters. Append only; never renumber. */
enum sluice_counter {
	CNT_PACKETS = 0,		/* packets seen by the pod programs */
	CNT_SERVICE_NEW,		/* new service flows (backend chosen) */
	CNT_SERVICE_ESTABLISHED,	/* packets of known service flows (conntrack hit) */
	CNT_REVERSE_NAT,		/* replies rewritten back to the frontend */
	CNT_DROP_NO_BACKEND,		/* a frontend with no backend to choose */
	CNT_DROP_MALFORMED,		/* truncated or malformed headers */
	CNT_SOCK_CONNECT_NAT,		/* connect()/sendmsg() rewritten to a backend */
	CNT_SOCK_REFUSED,		/* connect()/sendmsg() refused: no backend */
	CNT_MAX,
};

#endif
