/* NetworkPolicy structs: the contract with io.sluice.maps (one struct, one Java layout; a test compares them
 * with this object's BTF). Fields in network order are __be*; map keys are compared byte by byte (LPM trie and
 * hash alike), so padding bytes are always zero. */
#ifndef SLUICE_POLICY_TYPES_H
#define SLUICE_POLICY_TYPES_H

#include <linux/types.h>

/* ipcache4: IPv4 prefix shorter than /32 (ipBlock CIDRs) -> security identity of the addresses it covers. */
struct ipcache4_key {
	__u32 prefixlen;	/* 0..32 */
	__be32 address;
};

struct ipcache4_value {
	__u32 identity;
};

/* ipcache4_hosts: one address (a pod, a node: what would be a /32) -> its identity, the ipcache4_value. It takes
 * precedence over every ipcache4 prefix, as a /32 would in the trie. */
struct ipcache4_host_key {
	__be32 address;
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

/* policy4: allow entries, looked up exactly. An entry for every protocol has protocol 0, port_bits 0 and port 0;
 * one for a port block of a protocol has the block's leading port_bits (0..16: 16 is one port, 0 every port) and
 * its first port, the bits below port_bits zero. */
struct policy4_key {
	__be16 endpoint_id;
	__u8 direction;		/* POLICY_INGRESS, POLICY_EGRESS */
	__u8 port_bits;
	__be32 identity;	/* the peer's, or IDENTITY_ANY */
	__u8 protocol;		/* IPPROTO_TCP, _UDP, _SCTP, or 0 in entries for every protocol */
	__u8 pad;
	__be16 port;
};

/* policy4_peers: which policy4 entries exist for one (endpoint, direction, peer identity), so that a lookup probes
 * only the port_bits that some entry has. Never less than the entries present (the agent adds an entry before its
 * bit and clears a bit after the last entry with it went); a missing peer means no entry. */
struct policy4_peer_key {
	__be16 endpoint_id;
	__u8 direction;
	__u8 pad;
	__be32 identity;
};

struct policy4_peer {
	__u32 tcp_port_bits;	/* bit n set: a TCP entry with port_bits n exists (n = 0..16) */
	__u32 udp_port_bits;
	__u32 sctp_port_bits;
	__u32 flags;		/* POLICY4_PEER_F_* */
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
