package io.sluice.servicelb;

/**
 * Which traffic policy governs a frontend: {@code internalTrafficPolicy} for the cluster IP, and
 * {@code externalTrafficPolicy} for node ports, external IPs and load-balancer IPs.
 */
public enum TrafficScope {
    INTERNAL,
    EXTERNAL
}
