/* Address and port rewrites with incremental checksum updates (IPv4 header, TCP/UDP pseudo-header). */
#ifndef SLUICE_NAT_H
#define SLUICE_NAT_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include "packet.h"

enum nat_side {
	NAT_SOURCE,
	NAT_DESTINATION,
};

static __always_inline __u32 l4_csum_off(const struct packet4 *pkt)
{
	return pkt->l4_off + (pkt->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
							: offsetof(struct udphdr, check));
}

/* Rewrites one side of the flow to address:port. Returns 0 or a negative error from the helpers; the
 * caller drops the packet on error rather than let a half-rewritten packet through. */
static __always_inline int nat4_rewrite(struct __sk_buff *skb, struct packet4 *pkt, enum nat_side side,
					__be32 address, __be16 port)
{
	__u32 addr_off = pkt->l3_off + (side == NAT_SOURCE ? offsetof(struct iphdr, saddr)
							     : offsetof(struct iphdr, daddr));
	__u32 port_off = pkt->l4_off + (side == NAT_SOURCE ? 0 : 2);	/* same in tcphdr and udphdr */
	__be32 old_address = side == NAT_SOURCE ? pkt->saddr : pkt->daddr;
	__be16 old_port = side == NAT_SOURCE ? pkt->sport : pkt->dport;
	/* A UDP checksum of 0 means "none": leave it so, and never produce 0 where one exists. */
	__u64 mangled = pkt->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	int err;

	if (old_address != address) {
		err = bpf_l4_csum_replace(skb, l4_csum_off(pkt), old_address, address,
					  BPF_F_PSEUDO_HDR | mangled | sizeof(address));
		if (err)
			return err;
		err = bpf_l3_csum_replace(skb, pkt->l3_off + offsetof(struct iphdr, check), old_address,
					  address, sizeof(address));
		if (err)
			return err;
		err = bpf_skb_store_bytes(skb, addr_off, &address, sizeof(address), 0);
		if (err)
			return err;
	}
	if (old_port != port) {
		err = bpf_l4_csum_replace(skb, l4_csum_off(pkt), old_port, port, mangled | sizeof(port));
		if (err)
			return err;
		err = bpf_skb_store_bytes(skb, port_off, &port, sizeof(port), 0);
		if (err)
			return err;
	}
	if (side == NAT_SOURCE) {
		pkt->saddr = address;
		pkt->sport = port;
	} else {
		pkt->daddr = address;
		pkt->dport = port;
	}
	return 0;
}

#endif
