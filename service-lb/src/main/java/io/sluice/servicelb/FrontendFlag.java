package io.sluice.servicelb;

/** Properties of a frontend that the data path acts on, beyond its backends. */
public enum FrontendFlag {
    /**
     * The frontend's traffic policy is {@code Local}: its backends are only those on this node
     * ({@code internalTrafficPolicy} for the cluster IP, {@code externalTrafficPolicy} for external frontends).
     */
    LOCAL_ONLY,
    /** External frontend with {@code externalTrafficPolicy: Local}: never rewrite the client's source address. */
    PRESERVE_CLIENT_IP,
    /**
     * External frontend with {@code externalTrafficPolicy: Cluster}: a connection sent to a backend on another node
     * is source-NATed to this node's address, so the reply comes back through this node.
     */
    SNAT_REMOTE_BACKENDS
}
