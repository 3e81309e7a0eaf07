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

/* What a frontend leads to. backend_count 0 means: refuse at once (no endpoints). The value of both lb4_services
 * and lb6_services: nothing in it depends on the address family. */
struct lb4_service {
	__u32 service_id;
	__u16 backend_count;	/* number of valid slots, 0..backend_count-1; with LB_F_MAGLEV the number of distinct
				 * backends in the service's lb_maglev table (which carries its own size) */
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
	__u8 flags;		/* LB_BACKEND_F_* */
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

/* Session affinity: a client of a service. Exactly one of the two client fields is set: the socket programs
 * know the client's network namespace (a pod is one), the packet programs know its source address. */
struct lb4_affinity_key {
	__u64 netns_cookie;	/* bpf_get_netns_cookie() of the connecting socket, or 0 */
	__be32 client_address;	/* source address of the packet, or 0 */
	__u32 service_id;
};

struct lb4_affinity_value {
	__u64 last_used_ns;	/* bpf_ktime_get_ns() of the last new flow or connection it decided */
	__u32 backend_id;
	__u8 pad[4];
};

/* IPv6 forms, for the socket programs (the packet programs are IPv4 only). Addresses in network order. Service
 * and backend ids are one space across both families: lb4_affinity serves both. */
struct lb6_key {
	__u8 address[16];
	__be16 port;
	__u8 proto;
	__u8 scope;
};

struct lb6_backend {
	__u8 address[16];
	__be16 port;
	__u8 proto;
	__u8 flags;		/* LB_BACKEND_F_* */
};

struct lb6_sock_rev_key {
	__u64 cookie;
	__u8 address[16];	/* backend */
	__be16 port;
	__u8 pad[6];
};

struct lb6_sock_rev_value {
	__u8 address[16];	/* frontend */
	__be16 port;
	__u8 pad[2];
};

#endif
