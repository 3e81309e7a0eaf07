/* Service load-balancing structs: the contract with io.sluice.maps (one struct, one Java layout). */
#ifndef SLUICE_LB_TYPES_H
#define SLUICE_LB_TYPES_H

#include <linux/types.h>

/* A frontend: service address, port and protocol as a client addresses it. */
struct lb4_key {
	__be32 address;
	__be16 port;
	__u8 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8 scope;		/* LB_SCOPE_* */
};

/* What a frontend leads to. backend_count 0 means: refuse at once (no endpoints). */
struct lb4_service {
	__u32 service_id;
	__u16 backend_count;	/* number of valid slots, 0..backend_count-1 */
	__u16 flags;		/* LB_F_* */
	__u32 affinity_timeout;	/* seconds, with LB_F_AFFINITY */
};

struct lb4_slot_key {
	__u32 service_id;
	__u32 slot;
};

struct lb4_backend {
	__be32 address;
	__be16 port;
	__u8 proto;
	__u8 flags;
};

/* Reverse translation for connected and unconnected UDP sockets: which frontend a socket talked to. */
struct lb4_sock_rev_key {
	__u64 cookie;
	__be32 address;		/* backend */
	__be16 port;
	__u8 pad[2];
};

struct lb4_sock_rev_value {
	__be32 address;		/* frontend */
	__be16 port;
	__u8 pad[2];
};

#endif
