/* NetworkPolicy enforcement on a pod's host-side veth, with anti-spoofing and conntrack of admitted flows.
 *
 * Where, and on which addresses:
 *   - from_pod (the veth's tc ingress: what the pod sends) checks the pod's EGRESS, after the per-packet service
 *     translation: the destination is the backend (connections balanced by the socket programs carry it already),
 *     so egress rules name the backend pod, as rules name pods and never Services. The flow's source is the pod's
 *     own address and port, as it sent them (before any SNAT).
 *   - to_pod (tc egress: what is delivered to the pod) checks its INGRESS, before the reverse translation of
 *     replies: the packet as routed to the pod, whose destination is the pod's own address (the backend's).
 *
 * Lookups per packet, bounded whatever the number of pods, policies and rules:
 *   the endpoint (endpoints4, by the pod's address) -> the flow (policy4_ct: the packet's tuple, then the reversed
 *   tuple) -> only for a new flow, or one whose cached verdict predates the current revision: the peer's identity
 *   (ipcache4_hosts by address; only when it has none, the ipcache4 trie, which holds CIDR prefixes and no pod or
 *   node address) and the policy with that identity, then with IDENTITY_ANY. Entries are allow-only, so "an entry
 *   matches" means "allowed"; an endpoint that does not enforce a direction allows without a lookup.
 *
 * Policy lookup, per identity: policy4_peers (endpoint, direction, identity) says whether an entry for every
 * protocol exists (allowed) and which port_bits the entries of the packet's protocol have; then policy4_allow is
 * probed once per such port_bits, longest first, with the port cut to those bits. All hash lookups: the cost
 * depends on how many block sizes one peer's rules use (at most 17), never on how many entries exist. A port block
 * of n bits covers the port when their first n bits agree, the match the LPM trie this replaced made; all entries
 * are ALLOW, so which one answers never changes the verdict.
 *
 * Conntrack (policy4_ct): a flow is keyed as its first packet (after translation). Each endpoint that admits it
 * records the revision it did so under: the source's egress check, the destination's ingress check. A packet in
 * the flow's direction needs its endpoint's check for that direction; a reply needs the check of the endpoint it
 * returns to, in the other direction (the pod accepted the connection, or opened it). A recorded revision equal
 * to policy4_state.revision is trusted; otherwise the check runs again on the flow's first-packet tuple and is
 * recorded anew. The agent bumps the revision after each change it writes, so a connection a new policy denies
 * stops at its next packet, replies included, and one both policies allow never does.
 *
 * Identities: the ipcache's identity of the peer's address, IDENTITY_WORLD when no entry covers it; a packet the
 * node's own stack sends to a pod (it has no ingress interface) is IDENTITY_HOST whatever its source address, and
 * its flow remembers that for the check of the replies.
 *
 * Anti-spoofing (from_pod): a veth listed in ep4_by_ifindex only sends from its pod's address; a local pod's
 * address only comes from its own veth. Anything else is dropped, whether or not the pod enforces policy.
 *
 * Always allowed: a packet the pod sent that comes back to it on the same veth (a service hairpin, a refusal).
 * Not enforced: interfaces and addresses the agent has not written (endpoints not yet programmed). IPv6 is dropped
 * for endpoints that enforce the direction: the policy maps are IPv4-only. Later IPv4 fragments take the ports of
 * their first fragment (frag4_ports); one whose first fragment was not seen is dropped for endpoints.
 *
 * Every drop is counted by reason in sluice_counters and reported as a drop_event on sluice_events. */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "counters.h"
#include "events.h"
#include "policy_maps.h"

#define POLICY_IP_MF		0x2000
#define POLICY_IP_OFFSET	0x1fff
#define POLICY_ICMP_ECHO_REPLY	0
#define POLICY_ICMP_ECHO	8

enum policy_verdict {
	POLICY_PASS = 0,
	POLICY_DROP,
};

enum policy_parse_result {
	POLICY_PARSE_OK = 0,
	POLICY_PARSE_NOT_IPV4,		/* ARP, IPv6, ...: decided by policy_not_ipv4 */
	POLICY_PARSE_UNKNOWN_FRAGMENT,	/* a later fragment whose first fragment was not seen */
};

/* A packet's flow as policy sees it. ICMP echo uses the identifier as a port (request: source, reply:
 * destination) so a reply reverses its request's tuple; other protocols without ports have ports 0. */
struct policy_tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
	__u32 l4_off;
};

struct policy_icmp_echo {
	__u8 type;
	__u8 code;
	__be16 checksum;
	__be16 id;
};

static __always_inline void policy_read_ports(struct __sk_buff *skb, struct policy_tuple *t)
{
	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP || t->proto == IPPROTO_SCTP) {
		__be16 ports[2];

		if (bpf_skb_load_bytes(skb, t->l4_off, ports, sizeof(ports)) == 0) {
			t->sport = ports[0];
			t->dport = ports[1];
		}
	} else if (t->proto == IPPROTO_ICMP) {
		struct policy_icmp_echo icmp;

		if (bpf_skb_load_bytes(skb, t->l4_off, &icmp, sizeof(icmp)) == 0) {
			if (icmp.type == POLICY_ICMP_ECHO)
				t->sport = icmp.id;
			else if (icmp.type == POLICY_ICMP_ECHO_REPLY)
				t->dport = icmp.id;
		}
	}
}

/* Reads the IPv4 header and the ports; bounds come from bpf_skb_load_bytes. A header the service parser found
 * malformed never gets here (from_pod and to_pod drop it first). */
static __always_inline enum policy_parse_result policy_parse(struct __sk_buff *skb, struct policy_tuple *t)
{
	struct frag4_key frag = {};
	struct frag4_ports *ports;
	struct iphdr ip;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return POLICY_PARSE_NOT_IPV4;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
		return POLICY_PARSE_NOT_IPV4;
	t->saddr = ip.saddr;
	t->daddr = ip.daddr;
	t->proto = ip.protocol;
	t->l4_off = ETH_HLEN + ip.ihl * 4;
	frag.saddr = ip.saddr;
	frag.daddr = ip.daddr;
	frag.id = ip.id;
	frag.proto = ip.protocol;
	if (ip.frag_off & bpf_htons(POLICY_IP_OFFSET)) {
		ports = bpf_map_lookup_elem(&frag4_ports, &frag);
		if (!ports)
			return POLICY_PARSE_UNKNOWN_FRAGMENT;
		t->sport = ports->sport;
		t->dport = ports->dport;
		return POLICY_PARSE_OK;
	}
	policy_read_ports(skb, t);
	if (ip.frag_off & bpf_htons(POLICY_IP_MF)) {
		struct frag4_ports first = { .sport = t->sport, .dport = t->dport };

		bpf_map_update_elem(&frag4_ports, &frag, &first, BPF_ANY);
	}
	return POLICY_PARSE_OK;
}

static __always_inline void policy_reverse(const struct policy_tuple *t, struct policy_tuple *r)
{
	r->saddr = t->daddr;
	r->daddr = t->saddr;
	r->sport = t->dport;
	r->dport = t->sport;
	r->proto = t->proto;
	r->l4_off = t->l4_off;
}

static __always_inline void pct4_key_of(const struct policy_tuple *t, struct pct4_key *key)
{
	key->saddr = t->saddr;
	key->daddr = t->daddr;
	key->sport = t->sport;
	key->dport = t->dport;
	key->proto = t->proto;
}

static __always_inline struct pct4_entry *pct4_lookup(const struct policy_tuple *t)
{
	struct pct4_key key = {};

	pct4_key_of(t, &key);
	return bpf_map_lookup_elem(&policy4_ct, &key);
}

static __always_inline __u32 policy_revision(void)
{
	__u32 key = 0;
	struct policy4_state *state = bpf_map_lookup_elem(&policy4_state, &key);

	return state ? state->revision : 0;
}

static __always_inline __u32 policy_identity_of(__be32 address)
{
	struct ipcache4_host_key host = { .address = address };
	struct ipcache4_key prefix = { .prefixlen = 32, .address = address };
	struct ipcache4_value *value = bpf_map_lookup_elem(&ipcache4_hosts, &host);

	if (!value)
		value = bpf_map_lookup_elem(&ipcache4, &prefix);
	return value ? value->identity : IDENTITY_WORLD;
}

/* A global function, not inlined: the verifier checks it once, on its own, with every argument unknown, rather than
 * at each of its call sites (eight in from_pod, six in to_pod) with the port-block loop walked in the caller's states
 * (105,576 instructions processed for to_pod and 119,321 for from_pod when inlined, 5,479 and 24,522 so; every agent
 * start pays for the verifier). Its result is the same; a call costs a few nanoseconds on a new flow only. */
__noinline int policy_lookup(__u16 endpoint_id, __u8 direction, __u32 identity, __u8 proto, __be16 port)
{
	struct policy4_peer_key peer_key = {
		.endpoint_id = bpf_htons(endpoint_id),
		.direction = direction,
		.identity = bpf_htonl(identity),
	};
	struct policy4_key key = {
		.endpoint_id = bpf_htons(endpoint_id),
		.direction = direction,
		.identity = bpf_htonl(identity),
		.protocol = proto,
	};
	struct policy4_peer *peer = bpf_map_lookup_elem(&policy4_peers, &peer_key);
	__u16 host_port = bpf_ntohs(port);
	__u32 lengths;
	int bits;

	if (!peer)
		return 0;
	if (peer->flags & POLICY4_PEER_F_ANY_PROTOCOL)
		return 1;
	if (proto == IPPROTO_TCP)
		lengths = peer->tcp_port_bits;
	else if (proto == IPPROTO_UDP)
		lengths = peer->udp_port_bits;
	else if (proto == IPPROTO_SCTP)
		lengths = peer->sctp_port_bits;
	else
		return 0;
	for (bits = 16; bits >= 0 && lengths; bits--) {
		struct policy4_value *value;

		if (!(lengths & (1u << bits)))
			continue;
		lengths &= ~(1u << bits);
		key.port_bits = bits;
		key.port = bpf_htons(bits ? host_port & (0xffff << (16 - bits)) : 0);
		value = bpf_map_lookup_elem(&policy4_allow, &key);
		if (value && value->verdict == POLICY_VERDICT_ALLOW)
			return 1;
	}
	return 0;
}

/* Whether the endpoint's policy for `direction` allows `flow` (as its first packet went) with `peer`. */
static __always_inline int policy_allows(const struct ep4_info *ep, __u8 direction, __u32 peer,
					 const struct policy_tuple *flow)
{
	__u8 enforced = direction == POLICY_INGRESS ? EP_F_INGRESS_ENFORCED : EP_F_EGRESS_ENFORCED;

	if (!(ep->flags & enforced))
		return 1;
	if (policy_lookup(ep->endpoint_id, direction, peer, flow->proto, flow->dport))
		return 1;
	return peer != IDENTITY_ANY && policy_lookup(ep->endpoint_id, direction, IDENTITY_ANY, flow->proto, flow->dport);
}

/* The check of a tracked flow: trusted when *recorded is the current revision, else decided again and recorded.
 * The peer's identity is only looked up when the check runs. */
static __always_inline int policy_admits(__u32 *recorded, __u32 revision, const struct ep4_info *ep, __u8 direction,
					 __be32 peer_address, int peer_is_host, const struct policy_tuple *flow)
{
	__u32 peer;

	if (revision && *recorded == revision)
		return 1;
	peer = peer_is_host ? IDENTITY_HOST : policy_identity_of(peer_address);
	if (!policy_allows(ep, direction, peer, flow))
		return 0;
	*recorded = revision;
	return 1;
}

static __always_inline enum policy_verdict policy_drop(struct __sk_buff *skb, const struct policy_tuple *t, __u8 reason,
						       __u8 direction, __u16 endpoint_id, __u32 src_identity,
						       __u32 dst_identity)
{
	struct drop_event event = {
		.kind = EVENT_KIND_DROP,
		.reason = reason,
		.direction = direction,
		.proto = t->proto,
		.ifindex = skb->ifindex,
		.timestamp_ns = bpf_ktime_get_ns(),
		.saddr = t->saddr,
		.daddr = t->daddr,
		.sport = t->sport,
		.dport = t->dport,
		.src_identity = src_identity,
		.dst_identity = dst_identity,
		.endpoint_id = endpoint_id,
		.verdict = POLICY_VERDICT_DENY,
	};

	switch (reason) {
	case DROP_REASON_POLICY:
		count(direction == POLICY_INGRESS ? CNT_DROP_POLICY_INGRESS : CNT_DROP_POLICY_EGRESS);
		break;
	case DROP_REASON_SPOOFED:
		count(CNT_DROP_SPOOFED);
		break;
	case DROP_REASON_FRAGMENT:
		count(CNT_DROP_FRAGMENT);
		break;
	default:
		count(CNT_DROP_UNSUPPORTED_L3);
		break;
	}
	event_drop(&event);
	return POLICY_DROP;
}

/* A policy drop of `flow` (as its first packet went) at `ep`, seen from `direction`. */
static __always_inline enum policy_verdict policy_deny(struct __sk_buff *skb, const struct policy_tuple *flow,
						       const struct ep4_info *ep, __u8 direction, int peer_is_host)
{
	__u32 peer;

	if (direction == POLICY_INGRESS) {
		peer = peer_is_host ? IDENTITY_HOST : policy_identity_of(flow->saddr);
		return policy_drop(skb, flow, DROP_REASON_POLICY, direction, ep->endpoint_id, peer, ep->identity);
	}
	peer = policy_identity_of(flow->daddr);
	return policy_drop(skb, flow, DROP_REASON_POLICY, direction, ep->endpoint_id, ep->identity, peer);
}

/* ARP and other non-IP traffic passes; IPv6 is dropped for an endpoint (found by its veth) that enforces the
 * direction, since the policy maps cannot describe it. */
static __always_inline enum policy_verdict policy_not_ipv4(struct __sk_buff *skb, __u8 direction)
{
	struct policy_tuple none = {};
	__u32 ifindex = skb->ifindex;
	struct ep4_key *address;
	struct ep4_info *ep;
	__u8 enforced = direction == POLICY_INGRESS ? EP_F_INGRESS_ENFORCED : EP_F_EGRESS_ENFORCED;

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return POLICY_PASS;
	address = bpf_map_lookup_elem(&ep4_by_ifindex, &ifindex);
	if (!address)
		return POLICY_PASS;
	ep = bpf_map_lookup_elem(&endpoints4, address);
	if (!ep || !(ep->flags & enforced))
		return POLICY_PASS;
	return policy_drop(skb, &none, DROP_REASON_UNSUPPORTED_L3, direction, ep->endpoint_id, 0, 0);
}

/* from_pod's state between the two halves of the egress check. */
struct policy_egress {
	struct policy_tuple flow;	/* the packet as the pod sent it */
	struct ep4_info ep;		/* the sending endpoint */
	__u32 revision;
	__u8 pending;			/* a new (or service) flow: decided by policy_egress_end */
};

/* First half of from_pod, before service translation: anti-spoofing, then packets of known flows (and replies).
 * Returns POLICY_DROP, or POLICY_PASS with eg->pending set when the decision waits for the translated packet. */
static __always_inline enum policy_verdict policy_egress_begin(struct __sk_buff *skb, struct policy_egress *eg)
{
	struct policy_tuple *t = &eg->flow;
	enum policy_parse_result parsed = policy_parse(skb, t);
	__u32 ifindex = skb->ifindex;
	struct ep4_key key = {};
	struct ep4_key *own;
	struct ep4_info *ep;
	struct pct4_entry *entry;

	if (parsed == POLICY_PARSE_NOT_IPV4)
		return policy_not_ipv4(skb, POLICY_EGRESS);
	own = bpf_map_lookup_elem(&ep4_by_ifindex, &ifindex);
	key.address = t->saddr;
	ep = bpf_map_lookup_elem(&endpoints4, &key);
	if ((own && own->address != t->saddr) || (!own && ep && ep->ifindex && ep->ifindex != ifindex)) {
		struct ep4_info *sender = own ? bpf_map_lookup_elem(&endpoints4, own) : 0;

		return policy_drop(skb, t, DROP_REASON_SPOOFED, POLICY_EGRESS, sender ? sender->endpoint_id : 0,
				   sender ? sender->identity : 0, policy_identity_of(t->daddr));
	}
	if (!ep)
		return POLICY_PASS;
	eg->ep = *ep;
	if (parsed == POLICY_PARSE_UNKNOWN_FRAGMENT)
		return policy_drop(skb, t, DROP_REASON_FRAGMENT, POLICY_EGRESS, eg->ep.endpoint_id, eg->ep.identity, 0);
	eg->revision = policy_revision();
	entry = pct4_lookup(t);
	if (entry) {
		if (policy_admits(&entry->egress_revision, eg->revision, &eg->ep, POLICY_EGRESS, t->daddr, 0, t))
			return POLICY_PASS;
		return policy_deny(skb, t, &eg->ep, POLICY_EGRESS, 0);
	}
	{
		struct policy_tuple first = {};

		policy_reverse(t, &first);
		entry = pct4_lookup(&first);
		if (entry) {
			/* A reply: the flow came in, so the pod's ingress check admits it. */
			int from_host = entry->flags & PCT_F_FROM_HOST;

			if (policy_admits(&entry->ingress_revision, eg->revision, &eg->ep, POLICY_INGRESS, first.saddr,
					  from_host, &first))
				return POLICY_PASS;
			return policy_deny(skb, &first, &eg->ep, POLICY_INGRESS, from_host);
		}
	}
	eg->pending = 1;
	return POLICY_PASS;
}

/* Second half of from_pod, on the packet as the service path left it: a new flow (or a service flow, now with
 * the backend as destination) is checked against the pod's egress policy and tracked. Returns the tc verdict. */
static __always_inline int policy_egress_end(struct __sk_buff *skb, struct policy_egress *eg, int verdict)
{
	struct policy_tuple t = eg->flow;
	struct pct4_entry fresh = {};
	struct pct4_entry *entry;
	struct pct4_key key = {};
	__be32 daddr;
	__be16 dport;

	if (!eg->pending || verdict == TC_ACT_SHOT)
		return verdict;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &daddr, sizeof(daddr)) == 0)
		t.daddr = daddr;
	if (t.daddr == t.saddr)
		return verdict;	/* turned back to the pod itself: hairpin or refusal */
	if ((t.proto == IPPROTO_TCP || t.proto == IPPROTO_UDP) &&
	    bpf_skb_load_bytes(skb, t.l4_off + 2, &dport, sizeof(dport)) == 0)
		t.dport = dport;
	if (t.daddr != eg->flow.daddr || t.dport != eg->flow.dport) {
		/* Translated to a backend: the flow is tracked by its translated tuple. */
		entry = pct4_lookup(&t);
		if (entry) {
			if (policy_admits(&entry->egress_revision, eg->revision, &eg->ep, POLICY_EGRESS, t.daddr, 0, &t))
				return verdict;
			policy_deny(skb, &t, &eg->ep, POLICY_EGRESS, 0);
			return TC_ACT_SHOT;
		}
	}
	if (!policy_allows(&eg->ep, POLICY_EGRESS, policy_identity_of(t.daddr), &t)) {
		policy_deny(skb, &t, &eg->ep, POLICY_EGRESS, 0);
		return TC_ACT_SHOT;
	}
	fresh.egress_revision = eg->revision;
	pct4_key_of(&t, &key);
	bpf_map_update_elem(&policy4_ct, &key, &fresh, BPF_NOEXIST);
	return verdict;
}

/* to_pod: the ingress check of the destination endpoint, before replies are translated back. */
static __always_inline enum policy_verdict policy_ingress(struct __sk_buff *skb)
{
	struct policy_tuple t = {};
	enum policy_parse_result parsed = policy_parse(skb, &t);
	struct ep4_key key = {};
	struct pct4_entry *entry;
	struct ep4_info *ep;
	__u32 revision;
	int from_host;

	if (parsed == POLICY_PARSE_NOT_IPV4)
		return policy_not_ipv4(skb, POLICY_INGRESS);
	key.address = t.daddr;
	ep = bpf_map_lookup_elem(&endpoints4, &key);
	if (!ep)
		return POLICY_PASS;
	if (parsed == POLICY_PARSE_UNKNOWN_FRAGMENT)
		return policy_drop(skb, &t, DROP_REASON_FRAGMENT, POLICY_INGRESS, ep->endpoint_id, 0, ep->identity);
	if (skb->ingress_ifindex == skb->ifindex)
		return POLICY_PASS;	/* the pod's own packet, turned around on its veth */
	from_host = skb->ingress_ifindex == 0;
	revision = policy_revision();
	entry = pct4_lookup(&t);
	if (entry) {
		if (policy_admits(&entry->ingress_revision, revision, ep, POLICY_INGRESS, t.saddr, from_host, &t))
			return POLICY_PASS;
		return policy_deny(skb, &t, ep, POLICY_INGRESS, from_host);
	}
	{
		struct policy_tuple first = {};

		policy_reverse(&t, &first);
		entry = pct4_lookup(&first);
		if (entry) {
			/* A reply: the pod opened the flow, so its egress check admits it. */
			if (policy_admits(&entry->egress_revision, revision, ep, POLICY_EGRESS, first.daddr, 0, &first))
				return POLICY_PASS;
			return policy_deny(skb, &first, ep, POLICY_EGRESS, 0);
		}
	}
	if (!policy_allows(ep, POLICY_INGRESS, from_host ? IDENTITY_HOST : policy_identity_of(t.saddr), &t))
		return policy_deny(skb, &t, ep, POLICY_INGRESS, from_host);
	{
		struct pct4_entry fresh = {
			.ingress_revision = revision,
			.flags = from_host ? PCT_F_FROM_HOST : 0,
		};
		struct pct4_key fresh_key = {};

		pct4_key_of(&t, &fresh_key);
		bpf_map_update_elem(&policy4_ct, &fresh_key, &fresh, BPF_NOEXIST);
	}
	return POLICY_PASS;
}

#endif
