package io.sluice.agent.policy;

import io.sluice.maps.Ipv4;
import java.util.function.ToIntFunction;

/**
 * Finds the host-side veth of a local pod, for per-interface anti-spoofing ({@code ep4_info.ifindex},
 * {@code ep4_by_ifindex}). A pod whose interface is not found is still enforced; only its veth is not checked.
 */
@FunctionalInterface
public interface PodInterfaces {

    /** A view taken now: pod address → ifindex of its veth in this network namespace, or 0 when unknown. */
    ToIntFunction<Ipv4> snapshot();

    /** Knows no interface (tests, and nodes whose pods sit behind a bridge). */
    PodInterfaces NONE = () -> address -> 0;
}
