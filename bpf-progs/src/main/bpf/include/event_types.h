/* Records of the sluice_events ring buffer: the contract with io.sluice.maps.DropEvent. Every record starts with
 * its kind (EVENT_KIND_*), so readers can tell kinds apart as more are added. */
#ifndef SLUICE_EVENT_TYPES_H
#define SLUICE_EVENT_TYPES_H

#include <linux/types.h>

/* A dropped packet. */
struct drop_event {
	__u8 kind;		/* EVENT_KIND_DROP */
	__u8 reason;		/* DROP_REASON_* */
	__u8 direction;		/* POLICY_INGRESS / POLICY_EGRESS, seen from the endpoint */
	__u8 proto;
	__u32 ifindex;		/* the interface the program ran on */
	__u64 timestamp_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u32 src_identity;
	__u32 dst_identity;
	__u16 endpoint_id;	/* 0 when the packet belongs to no endpoint */
	__u8 verdict;		/* POLICY_VERDICT_DENY */
	__u8 pad;
};

#endif
