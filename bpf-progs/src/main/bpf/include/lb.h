/* Service lookups shared by the socket and the packet programs. */
#ifndef SLUICE_LB_H
#define SLUICE_LB_H

#include "lb_maps.h"

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

/* Picks a backend at random among the service's slots (kube-proxy's behaviour). Returns NULL when the
 * service has no backend or a slot points at a backend that is gone (the agent writes backends before
 * slots, so that is only seen during removal). */
static __always_inline struct lb4_backend *lb4_select_backend(const struct lb4_service *svc, __u32 *backend_id)
{
	struct lb4_slot_key slot_key = { .service_id = svc->service_id };
	__u32 *id;

	if (svc->backend_count == 0)
		return NULL;
	slot_key.slot = bpf_get_prandom_u32() % svc->backend_count;
	id = bpf_map_lookup_elem(&lb4_slots, &slot_key);
	if (!id)
		return NULL;
	*backend_id = *id;
	return bpf_map_lookup_elem(&lb4_backends, id);
}

static __always_inline struct lb4_backend *lb4_lookup_backend(__u32 backend_id)
{
	return bpf_map_lookup_elem(&lb4_backends, &backend_id);
}

#endif
