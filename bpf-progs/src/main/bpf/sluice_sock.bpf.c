// Socket-level load balancing (cgroup v2 hooks): a connect() or sendmsg() to a frontend is sent to a
// backend once per socket call instead of per packet; UDP replies and getpeername() show the frontend.
#include <linux/bpf.h>
#include <linux/in.h>
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
static __always_inline __be16 ctx_port(const struct bpf_sock_addr *ctx)
{
	return (__be16)ctx->user_port;
}

static __always_inline int sock4_translate(struct bpf_sock_addr *ctx, int remember_reverse)
{
	struct lb4_affinity_key client = {};
	struct lb4_service *svc;
	struct lb4_backend *backend;
	__u32 backend_id = 0;
	__u32 flow_hash = 0;
	__be32 frontend_address = ctx->user_ip4;
	__be16 frontend_port = ctx_port(ctx);
	__u8 proto = ctx->protocol;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return SOCK_ALLOW;
	svc = lb4_lookup_for_local_client(frontend_address, frontend_port, proto);
	if (!svc)
		return SOCK_ALLOW;
	/* The client is the socket's network namespace: a pod, or the node itself. */
	if (svc->flags & (LB_F_AFFINITY | LB_F_MAGLEV))
		client.netns_cookie = bpf_get_netns_cookie(ctx);
	if (svc->flags & LB_F_MAGLEV)
		flow_hash = hash_socket(client.netns_cookie, bpf_get_socket_cookie(ctx));
	backend = lb4_choose_backend(svc, &client, flow_hash, &backend_id);
	if (!backend) {
		/* No endpoints: the caller sees ECONNREFUSED at once, as with a closed port. */
		count(CNT_SOCK_REFUSED);
		bpf_set_retval(-ECONNREFUSED);
		return SOCK_REFUSE;
	}
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
	ctx->user_ip4 = backend->address;
	ctx->user_port = backend->port;
	count(CNT_SOCK_CONNECT_NAT);
	return SOCK_ALLOW;
}

/* Puts the frontend back where the application reads the peer's address. */
static __always_inline int sock4_reverse(struct bpf_sock_addr *ctx)
{
	struct lb4_sock_rev_key key = {
		.cookie = bpf_get_socket_cookie(ctx),
		.address = ctx->user_ip4,
		.port = ctx_port(ctx),
	};
	struct lb4_sock_rev_value *frontend = bpf_map_lookup_elem(&lb4_sock_rev, &key);

	if (frontend) {
		ctx->user_ip4 = frontend->address;
		ctx->user_port = frontend->port;
	}
	return SOCK_ALLOW;
}

SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx)
{
	return sock4_translate(ctx, ctx->protocol == IPPROTO_UDP);
}

SEC("cgroup/sendmsg4")
int sock_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock4_translate(ctx, 1);
}

SEC("cgroup/recvmsg4")
int sock_recvmsg4(struct bpf_sock_addr *ctx)
{
	return sock4_reverse(ctx);
}

SEC("cgroup/getpeername4")
int sock_getpeername4(struct bpf_sock_addr *ctx)
{
	return sock4_reverse(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
