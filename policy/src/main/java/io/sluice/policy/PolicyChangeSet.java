package io.sluice.policy;

import java.util.List;
import java.util.Map;

/**
 * What one {@link PolicyEngine} update changed: the endpoint policies that differ from before (new
 * endpoints included), the endpoints that are gone (with the id their map entries used), the ipcache
 * entries to write or delete, and the objects refused by this update.
 *
 * <p>Suggested write order for the agent, so no packet sees a half-applied change: ipcache upserts,
 * then policy entries added, then endpoint flags, then entries removed, then ipcache deletions.
 *
 * @param endpoints changed endpoint policies
 * @param removedEndpoints pods that are no longer local endpoints, with their former endpoint id
 * @param ipcache ipcache entries to write and delete
 * @param refusals objects (or fields) refused by this update
 */
public record PolicyChangeSet(Map<PodRef, EndpointPolicy> endpoints, Map<PodRef, Integer> removedEndpoints,
                              IpCache.Changes ipcache, List<Refusal> refusals) {

    public PolicyChangeSet {
        endpoints = Map.copyOf(endpoints);
        removedEndpoints = Map.copyOf(removedEndpoints);
        refusals = List.copyOf(refusals);
    }

    /** Whether the update changed nothing the data path sees and refused nothing. */
    public boolean isEmpty() {
        return endpoints.isEmpty() && removedEndpoints.isEmpty() && ipcache.isEmpty() && refusals.isEmpty();
    }
}
