/* Where a translated packet goes when the stack must not route it from here: back out the interface it came
 * in on (a pod reaching itself), or straight to the next hop the FIB names (its new source is an address of
 * the node, which the stack would refuse on input as a martian source). */
#ifndef SLUICE_DELIVER_H
#define SLUICE_DELIVER_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "packet.h"

#ifndef AF_INET
#define AF_INET		2
#endif

enum service_verdict {
	SERVICE_PASS,		/* not a service packet, or translated: continue to the stack */
	SERVICE_DROP,		/* no backend and no answer possible, or a rewrite failed */
	SERVICE_REDIRECT,	/* translated or answered, and redirected to its interface */
};

static __always_inline enum service_verdict redirect_verdict(long rc)
{
	return rc == TC_ACT_REDIRECT ? SERVICE_REDIRECT : SERVICE_DROP;
}

/* Exchanges the Ethernet source and destination, so a packet can leave where it came from. */
static __always_inline int swap_macs(struct __sk_buff *skb)
{
	__u8 macs[12], swapped[12];

	if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)))
		return -1;
	__builtin_memcpy(swapped, macs + 6, 6);
	__builtin_memcpy(swapped + 6, macs, 6);
	return bpf_skb_store_bytes(skb, 0, swapped, sizeof(swapped), 0);
}

/* Back out of the interface the packet arrived on (tc ingress), addressed to its sender's MAC. */
static __always_inline enum service_verdict deliver_back(struct __sk_buff *skb)
{
	if (swap_macs(skb))
		return SERVICE_DROP;
	return redirect_verdict(bpf_redirect(skb->ifindex, 0));
}

/* To the next hop of the packet's (new) destination. Without a forwarding route (none, or the destination is
 * local), or when the packet is larger than the route's MTU, the stack takes the packet as it is. A GRO/GSO
 * packet is left out of the MTU check: it is segmented on the way out. Needs forwarding enabled on the
 * interface the packet came in on (BPF_FIB_LKUP_RET_FWD_DISABLED otherwise). */
static __always_inline enum service_verdict deliver_by_fib(struct __sk_buff *skb, const struct packet4 *pkt)
{
	struct bpf_fib_lookup fib = {
		.family = AF_INET,
		.l4_protocol = pkt->proto,
		.sport = pkt->sport,
		.dport = pkt->dport,
		.tot_len = skb->gso_size ? 0 : skb->len - pkt->l3_off,
		.ifindex = skb->ingress_ifindex,
		.ipv4_src = pkt->saddr,
		.ipv4_dst = pkt->daddr,
	};
	long rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);

	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return SERVICE_PASS;
	return redirect_verdict(bpf_redirect_neigh(fib.ifindex, NULL, 0, 0));
}

#endif
