/* Packet parsing: Ethernet, IPv4 and the TCP/UDP ports, with every bound checked. */
#ifndef SLUICE_PACKET_H
#define SLUICE_PACKET_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#define IP_FRAG_MASK	0x3fff	/* MF flag and fragment offset */

/* The TCP flags byte (offset 13 of the header). */
#define PKT_TCP_FIN	0x01
#define PKT_TCP_SYN	0x02
#define PKT_TCP_RST	0x04
#define PKT_TCP_ACK	0x10

/* The part of an IPv4 TCP/UDP packet that translation needs, with the offsets to rewrite it. */
struct packet4 {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 tcp_flags;		/* PKT_TCP_*; 0 for UDP */
	__u32 l3_off;
	__u32 l4_off;
};

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_HANDLED,	/* not IPv4 TCP/UDP, or a fragment: pass untouched */
	PARSE_MALFORMED,	/* claims to be IPv4 TCP/UDP but its headers are cut or inconsistent */
};

static __always_inline enum parse_result parse_packet4(struct __sk_buff *skb, struct packet4 *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 ihl_len;

	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return PARSE_NOT_HANDLED;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return PARSE_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return PARSE_MALFORMED;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return PARSE_NOT_HANDLED;
	if (ip->frag_off & bpf_htons(IP_FRAG_MASK))
		return PARSE_NOT_HANDLED;
	ihl_len = ip->ihl * 4;
	pkt->l3_off = sizeof(*eth);
	pkt->l4_off = sizeof(*eth) + ihl_len;
	pkt->saddr = ip->saddr;
	pkt->daddr = ip->daddr;
	pkt->proto = ip->protocol;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = data + pkt->l4_off;

		if ((void *)(tcp + 1) > data_end)
			return PARSE_MALFORMED;
		pkt->sport = tcp->source;
		pkt->dport = tcp->dest;
		pkt->tcp_flags = ((__u8 *)tcp)[13];
	} else {
		struct udphdr *udp = data + pkt->l4_off;

		if ((void *)(udp + 1) > data_end)
			return PARSE_MALFORMED;
		pkt->sport = udp->source;
		pkt->dport = udp->dest;
	}
	return PARSE_OK;
}

#endif
