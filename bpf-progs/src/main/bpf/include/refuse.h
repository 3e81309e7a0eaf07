/* Answers for a frontend without backends, so clients fail at once instead of waiting for a timeout: a TCP
 * segment gets a RST, a UDP datagram an ICMP port unreachable, each built in place of the packet (checksums
 * computed from scratch) and sent back out the interface it came in on. Anything that cannot be answered
 * cleanly (a RST, IP options on UDP, a GSO packet) is dropped and counted. */
#ifndef SLUICE_REFUSE_H
#define SLUICE_REFUSE_H

#include "counters.h"
#include "deliver.h"

#define REFUSE_TTL	64
#define IP_DF		0x4000
/* linux/icmp.h pulls in libc headers; the two values and the header are all that is needed. */
#define ICMP_DEST_UNREACH	3
#define ICMP_PORT_UNREACH	3

struct refuse_icmp_header {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 unused;
};

/* What an answer's checksums cover after the IPv4 header. */
struct refuse_pseudo_header {
	__be32 saddr;
	__be32 daddr;
	__u8 zero;
	__u8 proto;
	__be16 length;
};

struct refuse_tcp_reset {
	struct iphdr ip;
	struct tcphdr tcp;
};

/* ICMP quotes the offending IPv4 header (without options) and the first 8 bytes after it. */
#define ICMP_QUOTE_LEN	(sizeof(struct iphdr) + 8)

struct refuse_icmp_unreachable {
	struct iphdr ip;
	struct refuse_icmp_header icmp;
	__u8 quote[ICMP_QUOTE_LEN];
};

static __always_inline __sum16 csum_fold_sum(__s64 partial)
{
	__u32 sum = (__u32)partial;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__sum16)~sum;
}

/* An IPv4 header from the frontend (the packet's destination) back to the client. */
static __always_inline void refuse_ip_header(struct iphdr *ip, const struct packet4 *pkt, __u8 proto, __u16 length)
{
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = bpf_htons(length);
	ip->frag_off = bpf_htons(IP_DF);
	ip->ttl = REFUSE_TTL;
	ip->protocol = proto;
	ip->saddr = pkt->daddr;
	ip->daddr = pkt->saddr;
	ip->check = csum_fold_sum(bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0));
}

/* Replaces the packet from the IPv4 header on with `answer` and sends it back. */
static __always_inline enum service_verdict refuse_send(struct __sk_buff *skb, const struct packet4 *pkt,
							void *answer, __u32 length)
{
	if (bpf_skb_change_tail(skb, pkt->l3_off + length, 0))
		return SERVICE_DROP;
	if (bpf_skb_store_bytes(skb, pkt->l3_off, answer, length, BPF_F_RECOMPUTE_CSUM))
		return SERVICE_DROP;
	count(CNT_REFUSED_NO_BACKEND);
	return deliver_back(skb);
}

/* RFC 793 reset generation: to a segment with ACK, RST with seq = its ack; otherwise RST|ACK acknowledging
 * everything it carried (SYN and FIN count one each). */
static __always_inline enum service_verdict refuse_tcp(struct __sk_buff *skb, const struct packet4 *pkt)
{
	struct refuse_tcp_reset answer = {};
	struct refuse_pseudo_header pseudo = {};
	struct tcphdr tcp;
	struct iphdr ip;
	__u32 carried;
	__s64 sum;

	if (bpf_skb_load_bytes(skb, pkt->l3_off, &ip, sizeof(ip)) ||
	    bpf_skb_load_bytes(skb, pkt->l4_off, &tcp, sizeof(tcp)))
		return SERVICE_DROP;
	if (tcp.rst)
		return SERVICE_DROP;	/* never answer a reset */
	carried = bpf_ntohs(ip.tot_len) - (pkt->l4_off - pkt->l3_off) - tcp.doff * 4 + tcp.syn + tcp.fin;
	answer.tcp.source = tcp.dest;
	answer.tcp.dest = tcp.source;
	answer.tcp.doff = sizeof(struct tcphdr) / 4;
	answer.tcp.rst = 1;
	if (tcp.ack) {
		answer.tcp.seq = tcp.ack_seq;
	} else {
		answer.tcp.ack = 1;
		answer.tcp.ack_seq = bpf_htonl(bpf_ntohl(tcp.seq) + carried);
	}
	refuse_ip_header(&answer.ip, pkt, IPPROTO_TCP, sizeof(answer));
	pseudo.saddr = answer.ip.saddr;
	pseudo.daddr = answer.ip.daddr;
	pseudo.proto = IPPROTO_TCP;
	pseudo.length = bpf_htons(sizeof(answer.tcp));
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&pseudo, sizeof(pseudo), 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&answer.tcp, sizeof(answer.tcp), (__wsum)sum);
	answer.tcp.check = csum_fold_sum(sum);
	return refuse_send(skb, pkt, &answer, sizeof(answer));
}

static __always_inline enum service_verdict refuse_udp(struct __sk_buff *skb, const struct packet4 *pkt)
{
	struct refuse_icmp_unreachable answer = {};

	if (pkt->l4_off - pkt->l3_off != sizeof(struct iphdr))
		return SERVICE_DROP;	/* IP options: the quote would need the whole header */
	if (bpf_skb_load_bytes(skb, pkt->l3_off, answer.quote, sizeof(answer.quote)))
		return SERVICE_DROP;
	answer.icmp.type = ICMP_DEST_UNREACH;
	answer.icmp.code = ICMP_PORT_UNREACH;
	answer.icmp.checksum = csum_fold_sum(bpf_csum_diff(NULL, 0, (__be32 *)&answer.icmp,
							   sizeof(answer.icmp) + sizeof(answer.quote), 0));
	refuse_ip_header(&answer.ip, pkt, IPPROTO_ICMP, sizeof(answer));
	return refuse_send(skb, pkt, &answer, sizeof(answer));
}

/* The answer for a packet to a frontend without backends. */
static __always_inline enum service_verdict refuse_no_backend(struct __sk_buff *skb, const struct packet4 *pkt)
{
	enum service_verdict verdict = SERVICE_DROP;

	if (skb->gso_size == 0)
		verdict = pkt->proto == IPPROTO_TCP ? refuse_tcp(skb, pkt) : refuse_udp(skb, pkt);
	if (verdict == SERVICE_DROP)
		count(CNT_DROP_NO_BACKEND);
	return verdict;
}

#endif
