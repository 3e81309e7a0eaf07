// Socket-level load balancing (cgroup v2 hooks), IPv4 and IPv6: a connect() or sendmsg() to a frontend is sent
// to a backend once per socket call instead of per packet; UDP replies and getpeername() show the frontend.
// Logic lives in include/sock_lb.h; this file maps it to the hooks.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "sock_lb.h"

SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx)
{
	return sock_v4_translate(ctx, ctx->protocol == IPPROTO_UDP);
}

SEC("cgroup/sendmsg4")
int sock_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_v4_translate(ctx, 1);
}

SEC("cgroup/recvmsg4")
int sock_recvmsg4(struct bpf_sock_addr *ctx)
{
	return sock_v4_reverse(ctx);
}

SEC("cgroup/getpeername4")
int sock_getpeername4(struct bpf_sock_addr *ctx)
{
	return sock_v4_reverse(ctx);
}

SEC("cgroup/connect6")
int sock_connect6(struct bpf_sock_addr *ctx)
{
	return sock_v6_translate(ctx, ctx->protocol == IPPROTO_UDP);
}

SEC("cgroup/sendmsg6")
int sock_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_v6_translate(ctx, 1);
}

SEC("cgroup/recvmsg6")
int sock_recvmsg6(struct bpf_sock_addr *ctx)
{
	return sock_v6_reverse(ctx);
}

SEC("cgroup/getpeername6")
int sock_getpeername6(struct bpf_sock_addr *ctx)
{
	return sock_v6_reverse(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
