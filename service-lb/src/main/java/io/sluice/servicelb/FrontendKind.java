package io.sluice.servicelb;

/** Where a frontend address comes from in the Service. */
public enum FrontendKind {
    /** One of {@code spec.clusterIPs}, on {@code spec.ports[].port}. */
    CLUSTER_IP(TrafficScope.INTERNAL),
    /** A node address allowed by {@link NodeContext#nodePortCidrs()}, on {@code spec.ports[].nodePort}. */
    NODE_PORT(TrafficScope.EXTERNAL),
    /** One of {@code spec.externalIPs}, on {@code spec.ports[].port}. */
    EXTERNAL_IP(TrafficScope.EXTERNAL),
    /** One of {@code status.loadBalancer.ingress[].ip} (VIP mode), on {@code spec.ports[].port}. */
    LOAD_BALANCER(TrafficScope.EXTERNAL);

    private final TrafficScope scope;

    FrontendKind(TrafficScope scope) {
        this.scope = scope;
    }

    /** The traffic policy that governs frontends of this kind. */
    public TrafficScope scope() {
        return scope;
    }
}
