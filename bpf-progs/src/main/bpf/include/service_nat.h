/* Per-packet service translation for traffic the socket programs did not see: DNAT to a backend on the
 * way out of a pod, with conntrack so every packet of a flow keeps its backend, and reverse NAT on replies. */
#ifndef SLUICE_SERVICE_NAT_H
#define SLUICE_SERVICE_NAT_H

#include "counters.h"
#include "ct_maps.h"
#include "lb.h"
#include "nat.h"

enum service_verdict {
	SERVICE_PASS,		/* not a service flow, or translated: continue */
	SERVICE_DROP,		/* no backend, or a rewrite failed */
};

static __always_inline void ct4_key_of(const struct packet4 *pkt, struct ct4_key *key)
{
	key->saddr = pkt->saddr;
	key->daddr = pkt->daddr;
	key->sport = pkt->sport;
	key->dport = pkt->dport;
	key->proto = pkt->proto;
}

/* Creates the forward and reply conntrack entries of a new service flow. */
static __always_inline void ct4_create_service_flow(const struct packet4 *pkt, const struct lb4_backend *backend,
						    __u32 backend_id, __u32 service_id)
{
	struct ct4_key forward = {}, reply = {};
	struct ct4_entry forward_entry = {
		.nat_address = backend->address,
		.nat_port = backend->port,
		.flags = CT_F_SERVICE,
		.backend_id = backend_id,
		.service_id = service_id,
	};
	struct ct4_entry reply_entry = {
		.nat_address = pkt->daddr,
		.nat_port = pkt->dport,
		.flags = CT_F_REPLY,
		.backend_id = backend_id,
		.service_id = service_id,
	};

	ct4_key_of(pkt, &forward);
	reply.saddr = backend->address;
	reply.daddr = pkt->saddr;
	reply.sport = backend->port;
	reply.dport = pkt->sport;
	reply.proto = pkt->proto;
	bpf_map_update_elem(&ct4_entries, &reply, &reply_entry, BPF_ANY);
	bpf_map_update_elem(&ct4_entries, &forward, &forward_entry, BPF_ANY);
}

/* A packet leaving a pod: when it is addressed to a service frontend, send it to the flow's backend. */
static __always_inline enum service_verdict service_nat_forward(struct __sk_buff *skb, struct packet4 *pkt)
{
	struct ct4_key key = {};
	struct ct4_entry *entry;
	struct lb4_service *svc;
	struct lb4_backend *backend;
	__u32 backend_id = 0;

	ct4_key_of(pkt, &key);
	entry = bpf_map_lookup_elem(&ct4_entries, &key);
	if (entry && (entry->flags & CT_F_SERVICE)) {
		/* Established flow: keep its backend while that backend exists. */
		backend = lb4_lookup_backend(entry->backend_id);
		if (backend && backend->address == entry->nat_address && backend->port == entry->nat_port) {
			count(CNT_SERVICE_ESTABLISHED);
			return nat4_rewrite(skb, pkt, NAT_DESTINATION, backend->address, backend->port)
				       ? SERVICE_DROP : SERVICE_PASS;
		}
	}
	svc = lb4_lookup_service(pkt->daddr, pkt->dport, pkt->proto, LB_SCOPE_INTERNAL);
	if (!svc)
		return SERVICE_PASS;
	backend = lb4_select_backend(svc, &backend_id);
	if (!backend) {
		count(CNT_DROP_NO_BACKEND);
		return SERVICE_DROP;
	}
	ct4_create_service_flow(pkt, backend, backend_id, svc->service_id);
	count(CNT_SERVICE_NEW);
	return nat4_rewrite(skb, pkt, NAT_DESTINATION, backend->address, backend->port) ? SERVICE_DROP
											 : SERVICE_PASS;
}

/* A packet entering a pod: when it answers a translated flow, make it come from the frontend. */
static __always_inline enum service_verdict service_nat_reply(struct __sk_buff *skb, struct packet4 *pkt)
{
	struct ct4_key key = {};
	struct ct4_entry *entry;

	ct4_key_of(pkt, &key);
	entry = bpf_map_lookup_elem(&ct4_entries, &key);
	if (!entry || !(entry->flags & CT_F_REPLY))
		return SERVICE_PASS;
	count(CNT_REVERSE_NAT);
	return nat4_rewrite(skb, pkt, NAT_SOURCE, entry->nat_address, entry->nat_port) ? SERVICE_DROP
											 : SERVICE_PASS;
}

#endif
