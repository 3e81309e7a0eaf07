// Per-packet programs. On a pod's host-side veth: from_pod at tc ingress (packets the pod sends), to_pod at tc
// egress (packets delivered to the pod). On the node's external interface: from_netdev at tc ingress (packets
// from outside: NodePort, ExternalIP, LoadBalancer IP), to_netdev at tc egress (packets leaving the node).
// One object, so all four share the conntrack and service maps. Logic lives in include/ (service_nat.h);
// this file maps it to tc verdicts.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "counters.h"
#include "packet.h"
#include "policy.h"
#include "service_nat.h"

/* Parses the packet; returns the tc verdict for packets that are not translated (malformed: drop; not IPv4
 * TCP/UDP: pass), or -1 to go on. */
static __always_inline int parse_or_verdict(struct __sk_buff *skb, struct packet4 *pkt, enum sluice_counter seen)
{
	enum parse_result parsed = parse_packet4(skb, pkt);

	count(seen);
	if (parsed == PARSE_MALFORMED) {
		count(CNT_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	return parsed == PARSE_OK ? -1 : TC_ACT_OK;
}

static __always_inline int tc_verdict(enum service_verdict verdict)
{
	switch (verdict) {
	case SERVICE_PASS:
		return TC_ACT_OK;
	case SERVICE_REDIRECT:
		return TC_ACT_REDIRECT;
	default:
		return TC_ACT_SHOT;
	}
}

/* Egress policy (policy.h) brackets the service translation: anti-spoofing and known flows before it, new flows
 * on the translated packet after it. */
SEC("tc")
int from_pod(struct __sk_buff *skb)
{
	struct policy_egress egress = {};
	struct packet4 pkt = {};
	int verdict = parse_or_verdict(skb, &pkt, CNT_PACKETS);

	if (verdict == TC_ACT_SHOT || policy_egress_begin(skb, &egress) == POLICY_DROP)
		return TC_ACT_SHOT;
	if (verdict < 0)
		verdict = tc_verdict(service_forward(skb, &pkt, FROM_POD));
	return policy_egress_end(skb, &egress, verdict);
}

/* Ingress policy (policy.h) sees the packet as routed to the pod, before replies are translated back. */
SEC("tc")
int to_pod(struct __sk_buff *skb)
{
	struct packet4 pkt = {};
	int verdict = parse_or_verdict(skb, &pkt, CNT_PACKETS);

	if (verdict == TC_ACT_SHOT || policy_ingress(skb) == POLICY_DROP)
		return TC_ACT_SHOT;
	if (verdict >= 0)
		return verdict;
	return tc_verdict(service_reply(skb, &pkt));
}

SEC("tc")
int from_netdev(struct __sk_buff *skb)
{
	struct packet4 pkt = {};
	int verdict = parse_or_verdict(skb, &pkt, CNT_NETDEV_PACKETS);

	if (verdict >= 0)
		return verdict;
	return tc_verdict(service_forward(skb, &pkt, FROM_NETDEV));
}

SEC("tc")
int to_netdev(struct __sk_buff *skb)
{
	struct packet4 pkt = {};
	int verdict = parse_or_verdict(skb, &pkt, CNT_NETDEV_PACKETS);

	if (verdict >= 0)
		return verdict;
	return tc_verdict(service_reply(skb, &pkt));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
