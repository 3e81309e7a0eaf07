// A program the verifier must refuse: it reads packet bytes without checking data_end.
// The loader's tests prove that the verifier's own message reaches the exception.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int rejected_xdp(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;

	return data[20] == 6 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
