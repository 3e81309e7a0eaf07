/* Constants of the NetworkPolicy data path: map sizes, identities, directions, flags, drop reasons. User space
 * mirrors them in io.sluice.maps.PolicyConstants; a test reads this header to keep the two equal. */
#ifndef SLUICE_POLICY_CONSTS_H
#define SLUICE_POLICY_CONSTS_H

#define IPCACHE4_ENTRIES_MAX	262144
#define IPCACHE4_HOSTS_MAX	262144
#define ENDPOINTS4_MAX		65536
#define POLICY4_ENTRIES_MAX	262144
#define POLICY4_PEERS_MAX	262144
#define POLICY4_CT_MAX		131072	/* LRU: sized per node by the agent, as CT4_ENTRIES_MAX */
#define FRAG4_PORTS_MAX		8192
#define SLUICE_EVENTS_BYTES	1048576	/* ring buffer size: a power of two of pages */

/* Reserved security identities (io.sluice.policy.Identities). */
#define IDENTITY_ANY		0	/* policy keys only: every peer */
#define IDENTITY_HOST		1	/* this node */
#define IDENTITY_WORLD		2	/* an address no ipcache entry covers */

/* policy4_key.direction, seen from the local endpoint. */
#define POLICY_INGRESS		0
#define POLICY_EGRESS		1

/* ep4_info.flags */
#define EP_F_INGRESS_ENFORCED	0x01	/* some policy selects the pod for ingress: deny what no entry allows */
#define EP_F_EGRESS_ENFORCED	0x02	/* the same for egress */

/* pct4_entry.flags */
#define PCT_F_FROM_HOST		0x01	/* the flow's first packet came from the node's own stack: peer is IDENTITY_HOST */

/* policy4_value.verdict and drop_event.verdict */
#define POLICY_VERDICT_ALLOW	1
#define POLICY_VERDICT_DENY	2

/* policy4_peer.flags */
#define POLICY4_PEER_F_ANY_PROTOCOL	0x01	/* an entry for every protocol and port exists */

/* The prefix length user space shows for an entry (LPM style, over endpoint_id(16) direction(8) pad(8)
 * identity(32) protocol(8) pad(8) port(16)): an entry for every protocol covers up to the identity; one for a
 * port block covers the protocol and port_bits of the port. The map stores port_bits. */
#define POLICY4_PREFIX_ANY_PROTOCOL	64
#define POLICY4_PREFIX_PORT_BASE	80
#define POLICY4_PREFIX_FULL		96

/* drop_event.kind: the first byte of every record in sluice_events. */
#define EVENT_KIND_DROP		1

/* drop_event.reason */
#define DROP_REASON_POLICY	1	/* no entry allows the flow in a direction the endpoint enforces */
#define DROP_REASON_SPOOFED	2	/* a pod sent from an address that is not its own */
#define DROP_REASON_FRAGMENT	3	/* a later IPv4 fragment whose first fragment was not seen */
#define DROP_REASON_UNSUPPORTED_L3	4	/* IPv6 to or from an endpoint that enforces policy (IPv4-only data path) */

#endif
