/* Conntrack of service flows: a forward entry keyed by the client's packet, a reply entry keyed by the
 * backend's answer, and the choice of a free source port when the flow is source-NATed. */
#ifndef SLUICE_CT_H
#define SLUICE_CT_H

#include "ct_maps.h"
#include "packet.h"

/* A new service flow as decided by the forward path. */
struct ct4_flow {
	__be32 backend_address;
	__be16 backend_port;
	__be16 snat_port;	/* out: the source port the flow got, with snat_address */
	__be32 snat_address;	/* new source address, or 0 for none */
	__u32 backend_id;
	__u32 service_id;
	__u8 flags;		/* CT_F_EXTERNAL, CT_F_HAIRPIN; CT_F_SNAT added once a port is claimed */
};

static __always_inline void ct4_key_of(const struct packet4 *pkt, struct ct4_key *key)
{
	key->saddr = pkt->saddr;
	key->daddr = pkt->daddr;
	key->sport = pkt->sport;
	key->dport = pkt->dport;
	key->proto = pkt->proto;
}

static __always_inline struct ct4_entry *ct4_lookup(const struct packet4 *pkt)
{
	struct ct4_key key = {};

	ct4_key_of(pkt, &key);
	return bpf_map_lookup_elem(&ct4_entries, &key);
}

/* Whether a packet may start a flow of its own: a TCP SYN without ACK, or any UDP datagram. */
static __always_inline int ct4_may_start_flow(const struct packet4 *pkt)
{
	return pkt->proto != IPPROTO_TCP || (pkt->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN;
}

/* The reply entry of a flow, from a packet of its client (client -> frontend) and its forward entry. */
static __always_inline void ct4_reply_of(const struct packet4 *pkt, const struct ct4_entry *forward,
					 struct ct4_key *key, struct ct4_entry *entry)
{
	key->saddr = forward->nat_address;
	key->sport = forward->nat_port;
	key->proto = pkt->proto;
	entry->nat_address = pkt->daddr;
	entry->nat_port = pkt->dport;
	entry->flags = CT_F_REPLY | (forward->flags & ~CT_F_SERVICE);
	entry->backend_id = forward->backend_id;
	entry->service_id = forward->service_id;
	if (forward->flags & CT_F_SNAT) {
		key->daddr = forward->peer_address;
		key->dport = forward->peer_port;
		entry->peer_address = pkt->saddr;
		entry->peer_port = pkt->sport;
	} else {
		key->daddr = pkt->saddr;
		key->dport = pkt->sport;
	}
}

/* Conntrack entries live until the LRU evicts them, so the entries of an ended service flow outlive it. A
 * client that reuses the flow's port to reach the backend directly sends a packet whose reversed tuple is the
 * stale reply key, and the replies of its new flow would be rewritten to come from the frontend. Such a packet,
 * when it may start a flow, forgets the old flow: its reply entry and its forward entry. (A live service flow
 * and a direct flow on the same tuple would collide at the backend anyway.) */
static __always_inline void ct4_forget_stale_flow(const struct packet4 *pkt)
{
	struct ct4_key reversed = {
		.saddr = pkt->daddr,
		.daddr = pkt->saddr,
		.sport = pkt->dport,
		.dport = pkt->sport,
		.proto = pkt->proto,
	};
	struct ct4_key forward = { .proto = pkt->proto };
	struct ct4_entry *entry;

	if (!ct4_may_start_flow(pkt))
		return;
	entry = bpf_map_lookup_elem(&ct4_entries, &reversed);
	if (!entry || !(entry->flags & CT_F_REPLY))
		return;
	forward.daddr = entry->nat_address;
	forward.dport = entry->nat_port;
	if (entry->flags & CT_F_SNAT) {
		forward.saddr = entry->peer_address;
		forward.sport = entry->peer_port;
	} else {
		forward.saddr = pkt->saddr;
		forward.sport = pkt->sport;
	}
	bpf_map_delete_elem(&ct4_entries, &reversed);
	bpf_map_delete_elem(&ct4_entries, &forward);
}

/* Inserts a reply entry whose key must be new: replies find their flow by it, so two flows must never share
 * one. The port is the client's own when no flow holds it, else a random one of SNAT_PORT_MIN..MAX; the
 * insert with BPF_NOEXIST is the claim, so two CPUs cannot take the same port. Only conntrack is consulted:
 * a socket of the node itself on the SNAT address with the same port to the same backend is not seen
 * (ports of SNAT_PORT_MIN..MAX avoid Linux's default ephemeral range; the client's own port may not). */
static __always_inline int ct4_claim_reply(struct ct4_key *reply, const struct ct4_entry *entry)
{
	if (bpf_map_update_elem(&ct4_entries, reply, entry, BPF_NOEXIST) == 0)
		return 0;
	for (int i = 0; i < SNAT_PORT_TRIES; i++) {
		__u16 port = SNAT_PORT_MIN + bpf_get_prandom_u32() % (SNAT_PORT_MAX - SNAT_PORT_MIN + 1);

		reply->dport = bpf_htons(port);
		if (bpf_map_update_elem(&ct4_entries, reply, entry, BPF_NOEXIST) == 0)
			return 0;
	}
	return -1;
}

/* Creates the reply entry, then the forward entry, of a new flow. Returns 0, or -1 when the flow needs a
 * source port and none was free. */
static __always_inline int ct4_create(const struct packet4 *pkt, struct ct4_flow *flow)
{
	struct ct4_key forward = {}, reply = {};
	struct ct4_entry reply_entry = {};
	struct ct4_entry forward_entry = {
		.nat_address = flow->backend_address,
		.nat_port = flow->backend_port,
		.flags = CT_F_SERVICE | flow->flags,
		.backend_id = flow->backend_id,
		.service_id = flow->service_id,
	};

	if (flow->snat_address) {
		forward_entry.flags |= CT_F_SNAT;
		forward_entry.peer_address = flow->snat_address;
		forward_entry.peer_port = pkt->sport;
	}
	ct4_reply_of(pkt, &forward_entry, &reply, &reply_entry);
	if (flow->snat_address) {
		if (ct4_claim_reply(&reply, &reply_entry))
			return -1;
		flow->snat_port = reply.dport;
		flow->flags |= CT_F_SNAT;
		forward_entry.peer_port = reply.dport;
	} else {
		bpf_map_update_elem(&ct4_entries, &reply, &reply_entry, BPF_ANY);
	}
	ct4_key_of(pkt, &forward);
	bpf_map_update_elem(&ct4_entries, &forward, &forward_entry, BPF_ANY);
	return 0;
}

/* A TCP SYN of a known flow is a retransmission, or a new connection that reuses the tuple: its reply entry
 * must exist, even if the LRU evicted it alone or a direct flow's packet made it forgotten. */
static __always_inline void ct4_restore_reply(const struct packet4 *pkt, const struct ct4_entry *forward)
{
	struct ct4_key reply = {};
	struct ct4_entry reply_entry = {};

	if (pkt->proto != IPPROTO_TCP || !ct4_may_start_flow(pkt))
		return;
	ct4_reply_of(pkt, forward, &reply, &reply_entry);
	bpf_map_update_elem(&ct4_entries, &reply, &reply_entry, BPF_ANY);
}

#endif
