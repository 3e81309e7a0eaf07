/* Service maps. Every object that includes this header shares them once the loader pins them. */
#ifndef SLUICE_LB_MAPS_H
#define SLUICE_LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sluice_consts.h"
#include "lb_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_SERVICES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb4_key);
	__type(value, struct lb4_service);
} lb4_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_SLOTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb4_slot_key);
	__type(value, __u32);		/* backend id */
} lb4_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB4_BACKENDS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);		/* backend id */
	__type(value, struct lb4_backend);
} lb4_backends SEC(".maps");

/* Maglev lookup tables by service id, for both families (ids are one space). Each value is an array map that
 * user space creates, fills and then swaps in with one update, so a packet sees either the whole old table or the
 * whole new one. A table of M slots is M + 1 u32 words, two per array entry (array entries take 8 bytes each, so a
 * u32 per entry would waste half), the last entry padded with 0:
 *   word 0         M, the table size
 *   words 1..M     backend id of slot 0..M-1 (in lb4_backends or lb6_backends, after the frontend's family)
 * BPF_F_INNER_MAP lets the tables differ in max_entries; lookups are bounds-checked by the kernel. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, LB_MAGLEV_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);		/* service id */
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(map_flags, BPF_F_INNER_MAP);
		__uint(max_entries, 1);
		__type(key, __u32);	/* word index / 2 */
		__type(value, __u64);	/* words 2 * key and 2 * key + 1, as u32[2] in memory */
	});
} lb_maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB4_SOCK_REV_MAX);
	__type(key, struct lb4_sock_rev_key);
	__type(value, struct lb4_sock_rev_value);
} lb4_sock_rev SEC(".maps");

/* LRU: a full table forgets the least recently used clients, which then simply pick again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB4_AFFINITY_MAX);
	__type(key, struct lb4_affinity_key);
	__type(value, struct lb4_affinity_value);
} lb4_affinity SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB6_SERVICES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb6_key);
	__type(value, struct lb4_service);
} lb6_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB6_SLOTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb4_slot_key);
	__type(value, __u32);		/* backend id in lb6_backends */
} lb6_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB6_BACKENDS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);		/* backend id */
	__type(value, struct lb6_backend);
} lb6_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB6_SOCK_REV_MAX);
	__type(key, struct lb6_sock_rev_key);
	__type(value, struct lb6_sock_rev_value);
} lb6_sock_rev SEC(".maps");

#endif
