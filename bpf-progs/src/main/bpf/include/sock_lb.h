/* Socket-level load balancing for the cgroup hooks: a connect() or sendmsg() to a frontend is sent to a backend
 * once per call instead of per packet; recvmsg() and getpeername() show the frontend again (UDP replies come
 * from the service address). The client is the socket's network namespace: a pod, or the node itself.
 * IPv6 sockets reach IPv6 frontends, and IPv4 frontends through IPv4-mapped addresses (::ffff:a.b.c.d), since a
 * dual-stack socket's IPv4 traffic never passes the IPv4 hooks. */
#ifndef SLUICE_SOCK_LB_H
#define SLUICE_SOCK_LB_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "counters.h"
#include "hash.h"
#include "lb.h"

#define SOCK_ALLOW	1
#define SOCK_REFUSE	0
#ifndef ECONNREFUSED
#define ECONNREFUSED	111
#endif

/* user_port carries the port in network order in its low 16 bits. */
static __always_inline __be16 sock_port(const struct bpf_sock_addr *ctx)
{
	return (__be16)ctx->user_port;
}

/* The client's identity and flow hash, as far as the service's flags need them. */
static __always_inline __u32 sock_client(struct bpf_sock_addr *ctx, const struct lb4_service *svc,
					 struct lb4_affinity_key *client)
{
	if (svc->flags & (LB_F_AFFINITY | LB_F_MAGLEV))
		client->netns_cookie = bpf_get_netns_cookie(ctx);
	if (svc->flags & LB_F_MAGLEV)
		return hash_socket(client->netns_cookie, bpf_get_socket_cookie(ctx));
	return 0;
}

/* No endpoints: the caller sees ECONNREFUSED at once, as with a closed port. */
static __always_inline int sock_refuse(void)
{
	count(CNT_SOCK_REFUSED);
	bpf_set_retval(-ECONNREFUSED);
	return SOCK_REFUSE;
}

/* Sends an IPv4 frontend to a backend. The address is read and written by the caller: user_ip4 for an IPv4
 * socket, the last word of user_ip6 for an IPv4-mapped address on an IPv6 socket. */
static __always_inline int sock4_translate(struct bpf_sock_addr *ctx, __be32 *address, int remember_reverse)
{
	struct lb4_affinity_key client = {};
	struct lb4_service *svc;
	struct lb4_backend *backend;
	__u32 backend_id = 0;
	__be32 frontend_address = *address;
	__be16 frontend_port = sock_port(ctx);

	svc = lb4_lookup_for_local_client(frontend_address, frontend_port, ctx->protocol);
	if (!svc)
		return SOCK_ALLOW;
	backend = lb4_choose_backend(svc, &client, sock_client(ctx, svc, &client), &backend_id);
	if (!backend)
		return sock_refuse();
	if (remember_reverse) {
		struct lb4_sock_rev_key key = {
			.cookie = bpf_get_socket_cookie(ctx),
			.address = backend->address,
			.port = backend->port,
		};
		struct lb4_sock_rev_value value = {
			.address = frontend_address,
			.port = frontend_port,
		};

		bpf_map_update_elem(&lb4_sock_rev, &key, &value, BPF_ANY);
	}
	*address = backend->address;
	ctx->user_port = backend->port;
	count(CNT_SOCK_CONNECT_NAT);
	return SOCK_ALLOW;
}

/* Puts an IPv4 frontend back (address as in sock4_translate). */
static __always_inline void sock4_reverse(struct bpf_sock_addr *ctx, __be32 *address)
{
	struct lb4_sock_rev_key key = {
		.cookie = bpf_get_socket_cookie(ctx),
		.address = *address,
		.port = sock_port(ctx),
	};
	struct lb4_sock_rev_value *frontend = bpf_map_lookup_elem(&lb4_sock_rev, &key);

	if (frontend) {
		*address = frontend->address;
		ctx->user_port = frontend->port;
	}
}

static __always_inline int sock_handles(const struct bpf_sock_addr *ctx)
{
	return ctx->protocol == IPPROTO_TCP || ctx->protocol == IPPROTO_UDP;
}

static __always_inline int sock_v4_translate(struct bpf_sock_addr *ctx, int remember_reverse)
{
	__be32 address = ctx->user_ip4;
	int verdict;

	if (!sock_handles(ctx))
		return SOCK_ALLOW;
	verdict = sock4_translate(ctx, &address, remember_reverse);
	if (address != ctx->user_ip4)
		ctx->user_ip4 = address;
	return verdict;
}

static __always_inline int sock_v4_reverse(struct bpf_sock_addr *ctx)
{
	__be32 address = ctx->user_ip4;

	sock4_reverse(ctx, &address);
	if (address != ctx->user_ip4)
		ctx->user_ip4 = address;
	return SOCK_ALLOW;
}

/* ::ffff:a.b.c.d */
static __always_inline int sock6_is_v4_mapped(const __u32 address[4])
{
	return address[0] == 0 && address[1] == 0 && address[2] == bpf_htonl(0xffff);
}

static __always_inline void sock6_read(const struct bpf_sock_addr *ctx, __u32 address[4])
{
	address[0] = ctx->user_ip6[0];
	address[1] = ctx->user_ip6[1];
	address[2] = ctx->user_ip6[2];
	address[3] = ctx->user_ip6[3];
}

static __always_inline void sock6_write(struct bpf_sock_addr *ctx, const __u8 address[16])
{
	__u32 words[4];

	__builtin_memcpy(words, address, sizeof(words));
	ctx->user_ip6[0] = words[0];
	ctx->user_ip6[1] = words[1];
	ctx->user_ip6[2] = words[2];
	ctx->user_ip6[3] = words[3];
}

static __always_inline int sock_v6_translate(struct bpf_sock_addr *ctx, int remember_reverse)
{
	struct lb4_affinity_key client = {};
	struct lb4_service *svc;
	struct lb6_backend *backend;
	__u32 frontend_address[4];
	__u32 backend_id = 0;
	__be16 frontend_port = sock_port(ctx);

	if (!sock_handles(ctx))
		return SOCK_ALLOW;
	sock6_read(ctx, frontend_address);
	if (sock6_is_v4_mapped(frontend_address)) {
		__be32 address = frontend_address[3];
		int verdict = sock4_translate(ctx, &address, remember_reverse);

		if (address != frontend_address[3])
			ctx->user_ip6[3] = address;
		return verdict;
	}
	svc = lb6_lookup_for_local_client(frontend_address, frontend_port, ctx->protocol);
	if (!svc)
		return SOCK_ALLOW;
	backend = lb6_choose_backend(svc, &client, sock_client(ctx, svc, &client), &backend_id);
	if (!backend)
		return sock_refuse();
	if (remember_reverse) {
		struct lb6_sock_rev_key key = {
			.cookie = bpf_get_socket_cookie(ctx),
			.port = backend->port,
		};
		struct lb6_sock_rev_value value = {
			.port = frontend_port,
		};

		__builtin_memcpy(key.address, backend->address, sizeof(key.address));
		__builtin_memcpy(value.address, frontend_address, sizeof(value.address));
		bpf_map_update_elem(&lb6_sock_rev, &key, &value, BPF_ANY);
	}
	sock6_write(ctx, backend->address);
	ctx->user_port = backend->port;
	count(CNT_SOCK_CONNECT_NAT);
	return SOCK_ALLOW;
}

static __always_inline int sock_v6_reverse(struct bpf_sock_addr *ctx)
{
	struct lb6_sock_rev_key key = {
		.port = sock_port(ctx),
	};
	struct lb6_sock_rev_value *frontend;
	__u32 address[4];

	sock6_read(ctx, address);
	if (sock6_is_v4_mapped(address)) {
		__be32 mapped = address[3];

		sock4_reverse(ctx, &mapped);
		if (mapped != address[3])
			ctx->user_ip6[3] = mapped;
		return SOCK_ALLOW;
	}
	key.cookie = bpf_get_socket_cookie(ctx);
	__builtin_memcpy(key.address, address, sizeof(key.address));
	frontend = bpf_map_lookup_elem(&lb6_sock_rev, &key);
	if (frontend) {
		sock6_write(ctx, frontend->address);
		ctx->user_port = frontend->port;
	}
	return SOCK_ALLOW;
}

#endif
