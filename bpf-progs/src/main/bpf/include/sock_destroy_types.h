/* The destroy set of the socket iterator: the contract with io.sluice.maps (one struct, one Java layout). */
#ifndef SLUICE_SOCK_DESTROY_TYPES_H
#define SLUICE_SOCK_DESTROY_TYPES_H

#include <linux/types.h>

/* A backend that left a frontend: a connected UDP socket that the socket programs sent from this frontend to this
 * backend is destroyed. One form for both families: an IPv4 address is written IPv4-mapped (::ffff:a.b.c.d). */
struct sock_destroy_key {
	__u8 frontend[16];	/* network order */
	__u8 backend[16];	/* network order */
	__be16 frontend_port;
	__be16 backend_port;
};

#endif
