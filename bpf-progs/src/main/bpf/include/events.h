/* The event ring buffer: every drop of the policy path is counted (sluice_counters) and reported here. A full
 * ring loses the event, never the verdict; the loss is counted. */
#ifndef SLUICE_EVENTS_H
#define SLUICE_EVENTS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "counters.h"
#include "event_types.h"
#include "policy_consts.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SLUICE_EVENTS_BYTES);
} sluice_events SEC(".maps");

/* A subprogram, not inlined: drops are the slow path, and its prototype puts struct drop_event into the object's
 * BTF, where the layout test finds it. */
static __noinline void event_drop(const struct drop_event *event)
{
	if (bpf_ringbuf_output(&sluice_events, (void *)event, sizeof(*event), 0))
		count(CNT_EVENTS_LOST);
}

#endif
