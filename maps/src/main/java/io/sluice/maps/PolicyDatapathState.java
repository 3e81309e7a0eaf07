package io.sluice.maps;

import java.util.Map;
import java.util.Set;

/**
 * What the policy maps hold (or should hold), as plain values: the ipcache (prefix → identity), the endpoints
 * (pod address → {@link Ep4Info}), the pod interfaces (ifindex → pod address) and the policy entries (all ALLOW).
 * {@link PolicyWritePlan#between} turns two of these into ordered writes; {@link #allows} is the programs' verdict
 * for a new flow, written in Java.
 *
 * <p>A state may also be a slice of the full one (the endpoints, prefixes and entries a change touched): the
 * plan between two slices is the plan between the full states restricted to them.
 */
public record PolicyDatapathState(Map<Ipcache4Key, Integer> ipcache, Map<Ipv4, Ep4Info> endpoints,
                                  Map<Integer, Ipv4> interfaces, Set<Policy4Key> entries) {

    public PolicyDatapathState {
        ipcache = Map.copyOf(ipcache);
        endpoints = Map.copyOf(endpoints);
        interfaces = Map.copyOf(interfaces);
        entries = Set.copyOf(entries);
    }

    /** Nothing programmed. */
    public static PolicyDatapathState empty() {
        return new PolicyDatapathState(Map.of(), Map.of(), Map.of(), Set.of());
    }

    /** The identity the ipcache gives {@code address}: its longest covering prefix's, else WORLD. */
    public int identityOf(Ipv4 address) {
        Ipcache4Key best = null;
        for (Ipcache4Key prefix : ipcache.keySet()) {
            if (prefix.contains(address) && (best == null || prefix.prefixLength() > best.prefixLength())) {
                best = prefix;
            }
        }
        return best == null ? PolicyConstants.IDENTITY_WORLD : ipcache.get(best);
    }

    /**
     * The verdict of the policy programs for the first packet of a flow at the endpoint with address
     * {@code endpoint}, in {@code direction}, with the peer at {@code peer}: allowed when the address is no endpoint,
     * when the endpoint does not enforce the direction, or when an entry with the peer's identity, or else with
     * {@link PolicyConstants#IDENTITY_ANY}, covers the protocol and port.
     */
    public boolean allows(Ipv4 endpoint, PolicyDirection direction, Ipv4 peer, int protocol, int port) {
        Ep4Info ep = endpoints.get(endpoint);
        if (ep == null || !ep.enforces(direction)) {
            return true;
        }
        int identity = identityOf(peer);
        return matches(ep.endpointId(), direction, identity, protocol, port)
                || (identity != PolicyConstants.IDENTITY_ANY
                    && matches(ep.endpointId(), direction, PolicyConstants.IDENTITY_ANY, protocol, port));
    }

    private boolean matches(int endpointId, PolicyDirection direction, int identity, int protocol, int port) {
        for (Policy4Key entry : entries) {
            if (entry.covers(endpointId, direction, identity, protocol, port)) {
                return true;
            }
        }
        return false;
    }
}
