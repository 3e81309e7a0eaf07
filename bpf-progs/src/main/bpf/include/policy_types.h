/* NetworkPolicy structs: the contract with io.sluice.maps (one struct, one Java layout; a test compares them
 * with this object's BTF). Fields in network order are __be*; the LPM trie keys are compared byte by byte, so
 * their fields are big-endian and padding bytes are always zero. */
#ifndef SLUICE_POLICY_TYPES_H
#define SLUICE_POLICY_TYPES_H

#include <linux/types.h>

/* ipcache4: IPv4 prefix -> security identity of the addresses it covers. */
struct ipcache4_key {
	__u32 prefixlen;	/* 0..32 */
	__be32 address;
};

struct ipcache4_value {
	__u32 identity;
};

/* endpoints4: a local pod, by its IPv4 address. */
struct ep4_key {
	__be32 address;
};

struct ep4_info {
	__u32 identity;		/* the pod's own security identity (for events) */
	__u32 ifindex;		/* its host-side veth, or 0 when unknown (then no per-interface anti-spoofing) */
	__u16 endpoint_id;	/* the policy4_key endpoint, host order here */
	__u8 flags;		/* EP_F_* */
	__u8 pad;
};

/* ep4_by_ifindex: __u32 ifindex of a pod veth -> struct ep4_key, the only source address allowed on it. */

/* policy4: allow entries. The prefix always covers endpoint_id..identity (POLICY4_PREFIX_ANY_PROTOCOL); an entry
 * for every protocol stops there, one for a protocol and a port block covers protocol, pad2 and the block's bits. */
struct policy4_key {
	__u32 prefixlen;
	__be16 endpoint_id;
	__u8 direction;		/* POLICY_INGRESS, POLICY_EGRESS */
	__u8 pad1;
	__be32 identity;	/* the peer's, or IDENTITY_ANY */
	__u8 protocol;		/* IPPROTO_*, 0 in entries for every protocol */
	__u8 pad2;
	__be16 port;		/* destination port of the flow's first packet */
};

struct policy4_value {
	__u8 verdict;		/* POLICY_VERDICT_ALLOW: NetworkPolicy has no deny rules */
	__u8 pad[3];
};

/* policy4_state: one entry. The revision changes after every policy or ipcache change the agent writes; a flow's
 * cached verdicts are only trusted when they were reached under the current revision (0: never trusted). */
struct policy4_state {
	__u32 revision;
	__u32 pad;
};

/* policy4_ct: flows of local endpoints, keyed by the flow's first packet (after service translation). Each side
 * that admitted the flow records the revision it did so under; a reply is admitted when the side it returns to
 * admitted the flow. */
struct pct4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct pct4_entry {
	__u32 egress_revision;	/* the source endpoint's egress check passed under this revision; 0: not checked */
	__u32 ingress_revision;	/* the destination endpoint's ingress check passed under this revision */
	__u8 flags;		/* PCT_F_* */
	__u8 pad[3];
};

/* frag4_ports: the ports of a fragmented datagram, recorded from its first fragment for the later ones. */
struct frag4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 id;
	__u8 proto;
	__u8 pad;
};

struct frag4_ports {
	__be16 sport;
	__be16 dport;
};

#endif
