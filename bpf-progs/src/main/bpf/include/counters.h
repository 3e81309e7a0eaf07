/* Per-CPU counters, read and summed by the agent. */
#ifndef SLUICE_COUNTERS_H
#define SLUICE_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sluice_consts.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sluice_counters SEC(".maps");

static __always_inline void count(enum sluice_counter counter)
{
	__u32 key = counter;
	__u64 *value = bpf_map_lookup_elem(&sluice_counters, &key);

	if (value)
		*value += 1;	/* per-CPU slot: no other writer */
}

#endif
