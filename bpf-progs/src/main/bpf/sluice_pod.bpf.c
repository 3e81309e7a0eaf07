// Programs on a pod's host-side veth. from_pod runs at tc ingress (packets the pod sends), to_pod at tc
// egress (packets delivered to the pod). Logic lives in include/; this file maps it to tc verdicts.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "counters.h"
#include "packet.h"
#include "service_nat.h"

static __always_inline int parse_or_verdict(struct __sk_buff *skb, struct packet4 *pkt)
{
	enum parse_result parsed = parse_packet4(skb, pkt);

	count(CNT_PACKETS);
	if (parsed == PARSE_MALFORMED) {
		count(CNT_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	return parsed == PARSE_OK ? -1 : TC_ACT_OK;
}

SEC("tc")
int from_pod(struct __sk_buff *skb)
{
	struct packet4 pkt = {};
	int verdict = parse_or_verdict(skb, &pkt);

	if (verdict >= 0)
		return verdict;
	return service_nat_forward(skb, &pkt) == SERVICE_PASS ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int to_pod(struct __sk_buff *skb)
{
	struct packet4 pkt = {};
	int verdict = parse_or_verdict(skb, &pkt);

	if (verdict >= 0)
		return verdict;
	return service_nat_reply(skb, &pkt) == SERVICE_PASS ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
