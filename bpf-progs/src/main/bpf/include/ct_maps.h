/* Connection tracking map: LRU, so a full table forgets the oldest flows instead of refusing new ones. */
#ifndef SLUICE_CT_MAPS_H
#define SLUICE_CT_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sluice_consts.h"
#include "ct_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT4_ENTRIES_MAX);
	__type(key, struct ct4_key);
	__type(value, struct ct4_entry);
} ct4_entries SEC(".maps");

#endif
