/* NetworkPolicy maps. The agent writes ipcache4_hosts, ipcache4, endpoints4, ep4_by_ifindex, policy4_allow,
 * policy4_peers and policy4_state; the programs write policy4_ct and frag4_ports. Every lookup a new flow needs is
 * a hash lookup whatever the number of pods and entries, except an address no host entry has, which meets the
 * ipcache4 trie of CIDR prefixes only. policy4_allow replaced the LPM trie policy4 (a pinned map keeps its type). */
#ifndef SLUICE_POLICY_MAPS_H
#define SLUICE_POLICY_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "policy_consts.h"
#include "policy_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPCACHE4_HOSTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipcache4_host_key);
	__type(value, struct ipcache4_value);
} ipcache4_hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, IPCACHE4_ENTRIES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipcache4_key);
	__type(value, struct ipcache4_value);
} ipcache4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENDPOINTS4_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ep4_key);
	__type(value, struct ep4_info);
} endpoints4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENDPOINTS4_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);			/* ifindex of the pod's host-side veth */
	__type(value, struct ep4_key);		/* the pod's address */
} ep4_by_ifindex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY4_ENTRIES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy4_key);
	__type(value, struct policy4_value);
} policy4_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY4_PEERS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy4_peer_key);
	__type(value, struct policy4_peer);
} policy4_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct policy4_state);
} policy4_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLICY4_CT_MAX);
	__type(key, struct pct4_key);
	__type(value, struct pct4_entry);
} policy4_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FRAG4_PORTS_MAX);
	__type(key, struct frag4_key);
	__type(value, struct frag4_ports);
} frag4_ports SEC(".maps");

#endif
