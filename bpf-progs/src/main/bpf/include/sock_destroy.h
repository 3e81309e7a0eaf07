/* Destroying connected sockets sent to a backend that has left the frontend. The socket programs translate a
 * connected UDP socket's destination once, at connect(); when that backend leaves the service the socket would
 * keep sending to it. A UDP socket iterator (one network namespace per run) aborts every socket whose
 * (frontend, backend) pair, as the socket programs' reverse entry records it, is in lb_sock_destroy: its next
 * recv() fails with ECONNABORTED and it is disconnected, so the application connects again and the socket
 * programs pick a backend that exists. A socket connected to the backend's address directly is not touched.
 * Needs bpf_sock_destroy() (Linux 6.5) and the service maps shared through their pins. */
#ifndef SLUICE_SOCK_DESTROY_H
#define SLUICE_SOCK_DESTROY_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "lb_maps.h"
#include "sock_destroy_types.h"
#include "sock_iter_types.h"

#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef AF_INET6
#define AF_INET6	10
#endif

/* How many backends one iterator run can look for; the agent runs it again for more. */
#define SOCK_DESTROY_MAX	1024

extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

/* (frontend, backend that left it) → the backend id. Filled by the agent before a run and emptied after it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SOCK_DESTROY_MAX);
	__type(key, struct sock_destroy_key);
	__type(value, __u32);		/* backend id */
} lb_sock_destroy SEC(".maps");

/* ::ffff:a.b.c.d */
static __always_inline void sock_destroy_map_v4(__u8 out[16], __be32 address)
{
	__u32 words[4] = { 0, 0, bpf_htonl(0xffff), address };

	__builtin_memcpy(out, words, sizeof(words));
}

/* The socket's peer, when the socket programs sent this socket there from a frontend (the reverse entry they
 * wrote at connect() names the frontend), as a destroy-set key; 0 for any other socket: not connected, not
 * translated, another family. */
static __always_inline int sock_destroy_key_of(struct sock_common *sk, struct sock_destroy_key *key)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	__be16 port = sk->skc_dport;
	__u32 peer[4];

	if (sk->skc_family == AF_INET) {
		peer[0] = 0;
		peer[1] = 0;
		peer[2] = bpf_htonl(0xffff);
		peer[3] = sk->skc_daddr;
	} else if (sk->skc_family == AF_INET6) {
		peer[0] = sk->skc_v6_daddr.in6_u.u6_addr32[0];
		peer[1] = sk->skc_v6_daddr.in6_u.u6_addr32[1];
		peer[2] = sk->skc_v6_daddr.in6_u.u6_addr32[2];
		peer[3] = sk->skc_v6_daddr.in6_u.u6_addr32[3];
	} else {
		return 0;
	}
	if (peer[0] == 0 && peer[1] == 0 && peer[2] == bpf_htonl(0xffff)) {
		/* An IPv4 socket, or an IPv6 socket with an IPv4-mapped peer: both have lb4_sock_rev entries. */
		struct lb4_sock_rev_key rev_key = { .cookie = cookie, .address = peer[3], .port = port };
		struct lb4_sock_rev_value *frontend = bpf_map_lookup_elem(&lb4_sock_rev, &rev_key);

		if (!frontend)
			return 0;
		sock_destroy_map_v4(key->frontend, frontend->address);
		key->frontend_port = frontend->port;
	} else {
		struct lb6_sock_rev_key rev_key = { .cookie = cookie, .port = port };
		struct lb6_sock_rev_value *frontend;

		__builtin_memcpy(rev_key.address, peer, sizeof(peer));
		frontend = bpf_map_lookup_elem(&lb6_sock_rev, &rev_key);
		if (!frontend)
			return 0;
		__builtin_memcpy(key->frontend, frontend->address, sizeof(key->frontend));
		key->frontend_port = frontend->port;
	}
	__builtin_memcpy(key->backend, peer, sizeof(peer));
	key->backend_port = port;
	return 1;
}

/* Destroys sk if the socket programs sent it to a backend that has since left that frontend; writes the backend
 * id to the iterator's output for each socket destroyed, so the agent counts them. */
static __always_inline int sock_destroy_if_removed(struct seq_file *seq, struct sock_common *sk)
{
	struct sock_destroy_key key = {};
	__u32 *backend_id;

	if (!sock_destroy_key_of(sk, &key))
		return 0;
	backend_id = bpf_map_lookup_elem(&lb_sock_destroy, &key);
	if (!backend_id)
		return 0;
	if (bpf_sock_destroy(sk) == 0)
		bpf_seq_write(seq, backend_id, sizeof(*backend_id));
	return 0;
}

#endif
