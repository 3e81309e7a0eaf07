package io.sluice.servicelb;

/** What the data path does with a new connection to a frontend. */
public enum FrontendVerdict {
    /** Balance it to one of the frontend's backends (there is at least one). */
    FORWARD,
    /**
     * Refuse it at once: the Service has no usable endpoint anywhere. TCP gets a reset (the client sees
     * ECONNREFUSED), UDP an ICMP port unreachable. kube-proxy's {@code REJECT}.
     */
    REJECT,
    /**
     * Drop it silently: the Service has endpoints, but a {@code Local} traffic policy allows none of them from
     * this node. kube-proxy's {@code DROP} ("has no local endpoints"); a load balancer's health check takes the
     * node out instead of clients seeing resets.
     */
    DROP
}
