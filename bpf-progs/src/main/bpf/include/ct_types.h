/* Connection tracking structs: the contract with io.sluice.maps. */
#ifndef SLUICE_CT_TYPES_H
#define SLUICE_CT_TYPES_H

#include <linux/types.h>

/* A flow as seen on the wire, in the direction of the packet that is looked up. */
struct ct4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

/* A forward entry (CT_F_SERVICE) is keyed by the client's packet as it arrives (client -> frontend); a reply
 * entry (CT_F_REPLY) by the backend's answer as it leaves the backend (backend -> client, or -> the SNAT
 * address when CT_F_SNAT). */
struct ct4_entry {
	__be32 nat_address;	/* CT_F_SERVICE: the backend; CT_F_REPLY: the frontend */
	__be16 nat_port;
	__u8 flags;		/* CT_F_* */
	__u8 pad;
	__u32 backend_id;	/* lets the agent flush flows of a removed backend */
	__u32 service_id;
	__be32 peer_address;	/* CT_F_SNAT: forward: the new source; reply: the client, the new destination */
	__be16 peer_port;
	__u8 pad2[2];
};

#endif
