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

/* Inserts a reply entry whose key must be new: replies find their flow by it, so two flows must never share
 * one. The port is the client's own when no flow holds it, else a random one of SNAT_PORT_MIN..MAX; the
 * insert with BPF_NOEXIST is the claim, so two CPUs cannot take the same port. Only conntrack is consulted:
 * a socket of the node itself on the SNAT address with the same port to the same backend is not seen
 * (ports of SNAT_PORT_MIN..MAX avoid Linux's default ephemeral range; the client's own port may not). */
static __always_inline int ct4_claim_reply(struct ct4_key *reply, const struct ct4_entry *entry, __be16 preferred)
{
	reply->dport = preferred;
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
	struct ct4_key forward = {}, reply = {
		.saddr = flow->backend_address,
		.sport = flow->backend_port,
		.proto = pkt->proto,
	};
	struct ct4_entry reply_entry = {
		.nat_address = pkt->daddr,
		.nat_port = pkt->dport,
		.flags = CT_F_REPLY | flow->flags,
		.backend_id = flow->backend_id,
		.service_id = flow->service_id,
	};
	struct ct4_entry forward_entry = {
		.nat_address = flow->backend_address,
		.nat_port = flow->backend_port,
		.flags = CT_F_SERVICE | flow->flags,
		.backend_id = flow->backend_id,
		.service_id = flow->service_id,
	};

	if (flow->snat_address) {
		reply.daddr = flow->snat_address;
		reply_entry.flags |= CT_F_SNAT;
		reply_entry.peer_address = pkt->saddr;
		reply_entry.peer_port = pkt->sport;
		if (ct4_claim_reply(&reply, &reply_entry, pkt->sport))
			return -1;
		flow->snat_port = reply.dport;
		flow->flags |= CT_F_SNAT;
		forward_entry.flags |= CT_F_SNAT;
		forward_entry.peer_address = flow->snat_address;
		forward_entry.peer_port = flow->snat_port;
	} else {
		reply.daddr = pkt->saddr;
		reply.dport = pkt->sport;
		bpf_map_update_elem(&ct4_entries, &reply, &reply_entry, BPF_ANY);
	}
	ct4_key_of(pkt, &forward);
	bpf_map_update_elem(&ct4_entries, &forward, &forward_entry, BPF_ANY);
	return 0;
}

#endif
