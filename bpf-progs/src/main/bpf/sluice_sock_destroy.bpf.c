// Aborts connected UDP sockets that the socket programs sent to a backend which has since left the frontend
// (IPv4 and IPv6 sockets, IPv4-mapped peers included). Logic lives in include/sock_destroy.h; this file maps it to
// the UDP socket iterator.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sock_destroy.h"

SEC("iter/udp")
int sock_destroy_udp(struct bpf_iter__udp *ctx)
{
	struct sock_common *sk = (struct sock_common *)ctx->udp_sk;

	if (!sk)
		return 0;
	return sock_destroy_if_removed(ctx->meta->seq, sk);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
