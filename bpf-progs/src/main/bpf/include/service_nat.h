/* Per-packet service translation for traffic the socket programs did not see, with conntrack so every packet
 * of a flow keeps its backend.
 *
 * Forward direction (from_pod at a pod veth's ingress, from_netdev at the external interface's ingress):
 *   - a packet of a known flow (forward entry whose backend still exists) is sent to that backend again;
 *   - a packet to a frontend starts a flow: pick a backend (lb.h), source-NAT it when needed, create the
 *     reply entry and the forward entry, rewrite; a frontend without backends is refused (refuse.h);
 *   - a reply of an external or hairpin flow, seen where it leaves the backend, is translated back at once
 *     and redirected (deliver.h), since its new source may be a node address;
 *   - any other packet that may start a flow forgets an ended service flow whose reply entry has this
 *     packet's tuple reversed (ct.h), so the direct flow's replies are not rewritten.
 * Reply direction (to_pod, to_netdev at egress, after routing): any reply entry restores the frontend as
 * source (and the client as destination when the flow was source-NATed).
 *
 * Source NAT: from_netdev, for LB_F_SNAT_REMOTE with a backend not on this node, to the node address so the
 * reply comes back through this node; from_pod, when the chosen backend is the sending pod itself, to the
 * hairpin address so the pod's reply leaves through its veth instead of short-circuiting inside the pod. */
#ifndef SLUICE_SERVICE_NAT_H
#define SLUICE_SERVICE_NAT_H

#include "counters.h"
#include "ct.h"
#include "deliver.h"
#include "hash.h"
#include "lb.h"
#include "nat.h"
#include "node_maps.h"
#include "refuse.h"

enum service_origin {
	FROM_POD,	/* a pod veth's ingress: clients are pods on this node */
	FROM_NETDEV,	/* the external interface's ingress: clients are outside the node */
};

/* Where a packet translated in a forward hook goes, by its flow's flags: hairpin flows back out of the pod's
 * veth; external flows by FIB when their new source may be a node address (source-NATed forward packets,
 * replies); everything else to the stack. */
static __always_inline enum service_verdict service_deliver(struct __sk_buff *skb, const struct packet4 *pkt,
							    __u8 flags)
{
	if (flags & CT_F_HAIRPIN)
		return deliver_back(skb);
	if ((flags & CT_F_EXTERNAL) && (flags & (CT_F_SNAT | CT_F_REPLY)))
		return deliver_by_fib(skb, pkt);
	return SERVICE_PASS;
}

/* Rewrites a packet of the client's direction: destination to the backend, source to the SNAT address. */
static __always_inline int service_rewrite_forward(struct __sk_buff *skb, struct packet4 *pkt,
						   __be32 backend_address, __be16 backend_port,
						   __be32 snat_address, __be16 snat_port)
{
	if (nat4_rewrite(skb, pkt, NAT_DESTINATION, backend_address, backend_port))
		return -1;
	if (snat_address && nat4_rewrite(skb, pkt, NAT_SOURCE, snat_address, snat_port))
		return -1;
	return 0;
}

/* Rewrites a reply: source to the frontend, destination back to the client when the flow was source-NATed. */
static __always_inline int service_rewrite_reply(struct __sk_buff *skb, struct packet4 *pkt,
						 const struct ct4_entry *entry)
{
	__be32 client_address = entry->peer_address;
	__be16 client_port = entry->peer_port;
	__u8 flags = entry->flags;

	/* Copies first: the entry may be evicted while the helpers run. */
	if (nat4_rewrite(skb, pkt, NAT_SOURCE, entry->nat_address, entry->nat_port))
		return -1;
	if ((flags & CT_F_SNAT) && nat4_rewrite(skb, pkt, NAT_DESTINATION, client_address, client_port))
		return -1;
	count(CNT_REVERSE_NAT);
	return 0;
}

/* A packet of a known flow. Returns 1 with *verdict set, or 0 when its backend is gone (pick again). */
static __always_inline int service_established(struct __sk_buff *skb, struct packet4 *pkt,
					       const struct ct4_entry *entry, enum service_verdict *verdict)
{
	/* A copy: an LRU insert below may recycle the entry's memory. */
	struct ct4_entry forward = *entry;
	struct lb4_backend *backend = lb4_lookup_backend(forward.backend_id);
	__be32 snat_address = 0;
	__be16 snat_port = 0;

	if (!backend || backend->address != forward.nat_address || backend->port != forward.nat_port)
		return 0;
	ct4_restore_reply(pkt, &forward);
	if (forward.flags & CT_F_SNAT) {
		snat_address = forward.peer_address;
		snat_port = forward.peer_port;
	}
	count(CNT_SERVICE_ESTABLISHED);
	if (service_rewrite_forward(skb, pkt, forward.nat_address, forward.nat_port, snat_address, snat_port))
		*verdict = SERVICE_DROP;
	else
		*verdict = service_deliver(skb, pkt, forward.flags);
	return 1;
}

/* The source address a new flow needs, or 0 for none; sets *flags. *missing is set when one is needed but
 * not configured. */
static __always_inline __be32 service_snat_address(const struct packet4 *pkt, const struct lb4_service *svc,
						   const struct lb4_backend *backend, enum service_origin origin,
						   __u8 *flags, int *missing)
{
	const struct node4_config *node = node4_config_get();
	__be32 address = 0;

	if (origin == FROM_POD && backend->address == pkt->saddr) {
		*flags |= CT_F_HAIRPIN;
		address = node ? node->hairpin_address : 0;
		*missing = !address;
	} else if (origin == FROM_NETDEV && (svc->flags & LB_F_SNAT_REMOTE) &&
		   !(backend->flags & LB_BACKEND_F_LOCAL)) {
		address = node ? node->node_address : 0;
		*missing = !address;
	}
	return address;
}

/* A packet to a frontend without a flow yet. */
static __always_inline enum service_verdict service_new_flow(struct __sk_buff *skb, struct packet4 *pkt,
							     enum service_origin origin)
{
	struct lb4_affinity_key client = { .client_address = pkt->saddr };
	struct ct4_flow flow = {};
	struct lb4_service *svc;
	struct lb4_backend *backend;
	__u32 flow_hash = 0;
	int missing = 0;

	if (origin == FROM_POD)
		svc = lb4_lookup_for_local_client(pkt->daddr, pkt->dport, pkt->proto);
	else
		svc = lb4_lookup_service(pkt->daddr, pkt->dport, pkt->proto, LB_SCOPE_EXTERNAL);
	if (!svc) {
		ct4_forget_stale_flow(pkt);
		return SERVICE_PASS;
	}
	if (svc->backend_count == 0)
		return refuse_no_backend(skb, pkt);
	if (svc->flags & LB_F_MAGLEV)
		flow_hash = hash_flow4(pkt->saddr, pkt->daddr, pkt->sport, pkt->dport, pkt->proto);
	backend = lb4_choose_backend(svc, &client, flow_hash, &flow.backend_id);
	if (!backend) {
		count(CNT_DROP_NO_BACKEND);
		return SERVICE_DROP;
	}
	flow.backend_address = backend->address;
	flow.backend_port = backend->port;
	flow.service_id = svc->service_id;
	flow.flags = origin == FROM_NETDEV ? CT_F_EXTERNAL : 0;
	flow.snat_address = service_snat_address(pkt, svc, backend, origin, &flow.flags, &missing);
	if (missing || ct4_create(pkt, &flow)) {
		count(CNT_DROP_SNAT);
		return SERVICE_DROP;
	}
	count(CNT_SERVICE_NEW);
	if (flow.snat_address)
		count(CNT_SNAT);
	if (service_rewrite_forward(skb, pkt, flow.backend_address, flow.backend_port, flow.snat_address,
				    flow.snat_port))
		return SERVICE_DROP;
	return service_deliver(skb, pkt, flow.flags);
}

/* A packet in the client's direction: at a pod veth's ingress or the external interface's ingress. */
static __always_inline enum service_verdict service_forward(struct __sk_buff *skb, struct packet4 *pkt,
							    enum service_origin origin)
{
	enum service_verdict verdict;
	struct ct4_entry *entry = ct4_lookup(pkt);

	if (entry && (entry->flags & CT_F_SERVICE)) {
		if (service_established(skb, pkt, entry, &verdict))
			return verdict;
	} else if (entry && (entry->flags & CT_F_REPLY)) {
		/* A reply leaving its backend. Internal flows are translated after routing (to_pod), where the
		 * frontend as source is fine; external and hairpin flows here. */
		__u8 flags = entry->flags;

		if (!(flags & (CT_F_EXTERNAL | CT_F_HAIRPIN)))
			return SERVICE_PASS;
		if (service_rewrite_reply(skb, pkt, entry))
			return SERVICE_DROP;
		return service_deliver(skb, pkt, flags);
	}
	return service_new_flow(skb, pkt, origin);
}

/* A packet after routing, leaving towards a pod (to_pod) or out of the external interface (to_netdev): a reply
 * of a translated flow comes from the frontend. */
static __always_inline enum service_verdict service_reply(struct __sk_buff *skb, struct packet4 *pkt)
{
	struct ct4_entry *entry = ct4_lookup(pkt);

	if (!entry || !(entry->flags & CT_F_REPLY))
		return SERVICE_PASS;
	return service_rewrite_reply(skb, pkt, entry) ? SERVICE_DROP : SERVICE_PASS;
}

#endif
