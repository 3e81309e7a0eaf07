// Self-test iterator for the loader: writes the local port (host order, 2 bytes) of every UDP socket of the
// network namespace the iterator was created in. Not shipped in the agent's jar.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sock_iter_types.h"

SEC("iter/udp")
int selftest_udp_ports(struct bpf_iter__udp *ctx)
{
	struct sock_common *sk = (struct sock_common *)ctx->udp_sk;
	__u16 port;

	if (!sk)
		return 0;
	port = sk->skc_num;
	bpf_seq_write(ctx->meta->seq, &port, sizeof(port));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
