/* Service lookups and backend selection shared by the socket and the packet programs.
 *
 * Choosing a backend for a new flow or connection, in this order:
 *   1. LB_F_AFFINITY: the client's entry in lb4_affinity, if it was used within affinity_timeout seconds and
 *      its backend still exists (refreshed on every use, like kube-proxy's "recent" match);
 *   2. LB_F_MAGLEV: slot (flow hash % M) of the service's Maglev table in lb_maglev (M: the table's own size),
 *      else, for an entry an older agent wrote, slot (flow hash % backend_count) of the slots;
 *   3. otherwise a random slot (kube-proxy's behaviour).
 * A backend removed from a service but still used by another keeps its id, so user space flushes the
 * affinity entries of that (service, backend) pair (io.sluice.maps.ConntrackMaps). */
#ifndef SLUICE_LB_H
#define SLUICE_LB_H

#include "counters.h"
#include "lb_maps.h"

#define NSEC_PER_SEC	1000000000ULL

static __always_inline struct lb4_service *lb4_lookup_service(__be32 address, __be16 port, __u8 proto,
							       __u8 scope)
{
	struct lb4_key key = {
		.address = address,
		.port = port,
		.proto = proto,
		.scope = scope,
	};

	return bpf_map_lookup_elem(&lb4_services, &key);
}

/* A frontend as this node's own clients (pods, host processes) address it: an internal frontend (cluster IP)
 * first, else an external one (node port on a node address, external or load-balancer IP), which kube-proxy
 * also serves to clients on the node. */
static __always_inline struct lb4_service *lb4_lookup_for_local_client(__be32 address, __be16 port, __u8 proto)
{
	struct lb4_service *svc = lb4_lookup_service(address, port, proto, LB_SCOPE_INTERNAL);

	return svc ? svc : lb4_lookup_service(address, port, proto, LB_SCOPE_EXTERNAL);
}

static __always_inline struct lb4_backend *lb4_lookup_backend(__u32 backend_id)
{
	return bpf_map_lookup_elem(&lb4_backends, &backend_id);
}

static __always_inline struct lb4_service *lb6_lookup_service(const __u32 address[4], __be16 port, __u8 proto,
							       __u8 scope)
{
	struct lb6_key key = {
		.port = port,
		.proto = proto,
		.scope = scope,
	};

	__builtin_memcpy(key.address, address, sizeof(key.address));
	return bpf_map_lookup_elem(&lb6_services, &key);
}

/* The IPv6 form of lb4_lookup_for_local_client. */
static __always_inline struct lb4_service *lb6_lookup_for_local_client(const __u32 address[4], __be16 port,
									__u8 proto)
{
	struct lb4_service *svc = lb6_lookup_service(address, port, proto, LB_SCOPE_INTERNAL);

	return svc ? svc : lb6_lookup_service(address, port, proto, LB_SCOPE_EXTERNAL);
}

/* The backend in one slot of a service (slots and backends: the maps of its family); NULL when the slot or its
 * backend is missing (the agent writes backends before slots, so that is only seen during an update). */
static __always_inline void *lb_slot_backend(const struct lb4_service *svc, __u32 slot, __u32 *backend_id,
					     void *slots, void *backends)
{
	struct lb4_slot_key slot_key = {
		.service_id = svc->service_id,
		.slot = slot,
	};
	__u32 *id = bpf_map_lookup_elem(slots, &slot_key);

	if (!id)
		return NULL;
	*backend_id = *id;
	return bpf_map_lookup_elem(backends, id);
}

/* The backend in the Maglev table of a service at the slot the flow hash names; NULL when the table or the
 * backend is missing (the agent writes backends, then the table, then the frontend; so only during an update). */
static __always_inline void *lb_maglev_backend(const struct lb4_service *svc, __u32 flow_hash, __u32 *backend_id,
					       void *backends)
{
	__u32 service_id = svc->service_id;
	__u32 header = 0;
	__u32 *words, word, entry;
	void *table;

	table = bpf_map_lookup_elem(&lb_maglev, &service_id);
	if (!table)
		return NULL;
	words = bpf_map_lookup_elem(table, &header);
	if (!words || words[0] == 0)
		return NULL;
	word = 1 + flow_hash % words[0];
	entry = word / 2;
	words = bpf_map_lookup_elem(table, &entry);	/* the kernel checks entry against the table's max_entries */
	if (!words)
		return NULL;
	*backend_id = words[word & 1];
	return bpf_map_lookup_elem(backends, backend_id);
}

/* The client's affinity backend if the entry is fresh and the backend exists; refreshes the entry. */
static __always_inline void *lb_affinity_backend(const struct lb4_service *svc,
						 const struct lb4_affinity_key *client, __u64 now, __u32 *backend_id,
						 void *backends)
{
	struct lb4_affinity_value *seen = bpf_map_lookup_elem(&lb4_affinity, client);
	void *backend;

	if (!seen)
		return NULL;
	/* A last use in the future (written by hand) underflows to "expired" too. */
	if (now - seen->last_used_ns > (__u64)svc->affinity_timeout * NSEC_PER_SEC)
		return NULL;
	backend = bpf_map_lookup_elem(backends, &seen->backend_id);
	if (!backend)
		return NULL;
	*backend_id = seen->backend_id;
	seen->last_used_ns = now;
	return backend;
}

/* Picks the backend of a new flow or connection (see the top of this file) from the slots and backends maps of
 * the service's family. client carries the client's identity (netns cookie or address); its service_id is
 * filled in here. flow_hash is only read for LB_F_MAGLEV. Returns NULL when the service has no backend or a
 * slot is missing. */
static __always_inline void *lb_choose_backend(const struct lb4_service *svc, struct lb4_affinity_key *client,
					       __u32 flow_hash, __u32 *backend_id, void *slots, void *backends)
{
	void *backend;
	__u64 now = 0;
	__u32 slot;

	if (svc->backend_count == 0)
		return NULL;
	if (svc->flags & LB_F_AFFINITY) {
		now = bpf_ktime_get_ns();
		client->service_id = svc->service_id;
		backend = lb_affinity_backend(svc, client, now, backend_id, backends);
		if (backend) {
			count(CNT_AFFINITY_HIT);
			return backend;
		}
	}
	if (svc->flags & LB_F_MAGLEV) {
		backend = lb_maglev_backend(svc, flow_hash, backend_id, backends);
		/* An entry written by an agent older than lb_maglev keeps its table in the slots (backend_count of them)
		 * until the new agent moves it; for any other entry this finds nothing either. */
		if (!backend)
			backend = lb_slot_backend(svc, flow_hash % svc->backend_count, backend_id, slots, backends);
	} else {
		slot = bpf_get_prandom_u32() % svc->backend_count;
		backend = lb_slot_backend(svc, slot, backend_id, slots, backends);
	}
	if (backend && (svc->flags & LB_F_AFFINITY)) {
		struct lb4_affinity_value chosen = {
			.last_used_ns = now,
			.backend_id = *backend_id,
		};

		bpf_map_update_elem(&lb4_affinity, client, &chosen, BPF_ANY);
	}
	return backend;
}

static __always_inline struct lb4_backend *lb4_choose_backend(const struct lb4_service *svc,
							       struct lb4_affinity_key *client, __u32 flow_hash,
							       __u32 *backend_id)
{
	return lb_choose_backend(svc, client, flow_hash, backend_id, &lb4_slots, &lb4_backends);
}

static __always_inline struct lb6_backend *lb6_choose_backend(const struct lb4_service *svc,
							       struct lb4_affinity_key *client, __u32 flow_hash,
							       __u32 *backend_id)
{
	return lb_choose_backend(svc, client, flow_hash, backend_id, &lb6_slots, &lb6_backends);
}

#endif
