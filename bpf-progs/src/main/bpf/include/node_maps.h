/* The node configuration map: one entry, written by the agent before it attaches the programs. */
#ifndef SLUICE_NODE_MAPS_H
#define SLUICE_NODE_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "node_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct node4_config);
} node4_config SEC(".maps");

/* The entry always exists (zero until written); NULL only in theory, but the verifier wants the check. */
static __always_inline const struct node4_config *node4_config_get(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&node4_config, &key);
}

#endif
