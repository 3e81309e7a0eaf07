// Self-test programs for the loader and the kernel tests: counters, a ring buffer of sequence numbers,
// and maps of each kind the loader handles. Not shipped in the agent's jar.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} selftest_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} selftest_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} selftest_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} selftest_percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} selftest_pinned SEC(".maps");

/* One ring buffer record: the counter value after this run, so a consumer can prove order and loss. */
struct selftest_event {
	__u64 seq;
};

static __always_inline __u64 count(__u32 slot)
{
	__u64 *value = bpf_map_lookup_elem(&selftest_counts, &slot);

	if (!value)
		return 0;
	return __sync_add_and_fetch(value, 1);
}

SEC("xdp")
int selftest_xdp(struct xdp_md *ctx)
{
	__u64 seq = count(0);
	struct selftest_event *event = bpf_ringbuf_reserve(&selftest_events, sizeof(*event), 0);

	if (event) {
		event->seq = seq;
		bpf_ringbuf_submit(event, 0);
	}
	return XDP_PASS;
}

SEC("tc")
int selftest_tc(struct __sk_buff *skb)
{
	count(1);
	return TC_ACT_OK;
}

SEC("cgroup/connect4")
int selftest_connect4(struct bpf_sock_addr *ctx)
{
	count(2);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
