package io.sluice.servicelb;

import java.util.Locale;

/** Why part of a Service or EndpointSlice was not turned into data-path entries. Small and fixed: a metric label. */
public enum RefusalReason {
    /** Namespace or name missing, or the object is otherwise unusable (a null where an object was expected). */
    INVALID_OBJECT,
    /** {@code spec.type} is none of ClusterIP, NodePort, LoadBalancer, ExternalName. */
    INVALID_SERVICE_TYPE,
    /** A Service that needs a cluster IP has none. */
    MISSING_CLUSTER_IP,
    /** A field that must hold an IP address does not. */
    INVALID_IP,
    /** An address of the wrong family, or two cluster IPs of one family. */
    IP_FAMILY_CONFLICT,
    /** A port number missing or out of range 1..65535. */
    INVALID_PORT,
    /** A port name or named {@code targetPort} that is not a valid name. */
    INVALID_PORT_NAME,
    /** Two ports with one name, or with one number and protocol. */
    DUPLICATE_PORT,
    /** A protocol that Kubernetes does not define. */
    INVALID_PROTOCOL,
    /** A protocol the data path does not balance (see {@link L4Protocol#DATA_PATH_PROTOCOLS}). */
    UNSUPPORTED_PROTOCOL,
    /** An unknown session affinity, or a timeout out of range. */
    INVALID_SESSION_AFFINITY,
    /** A traffic policy other than Cluster or Local. */
    INVALID_TRAFFIC_POLICY,
    /** An {@value LbAlgorithm#ANNOTATION} value that names no algorithm. */
    UNKNOWN_LB_ALGORITHM,
    /** A load-balancer ingress {@code ipMode} other than VIP or Proxy. */
    INVALID_IP_MODE,
    /** An EndpointSlice {@code addressType} other than IPv4, IPv6 or FQDN. */
    INVALID_ADDRESS_TYPE,
    /** An EndpointSlice that does not name its Service, or names another one. */
    SLICE_SERVICE_MISMATCH,
    /** An endpoint without an address. */
    MISSING_ADDRESS,
    /** More usable backends than {@link ServiceLbConfig#maxBackendsPerService()}. */
    TOO_MANY_BACKENDS,
    /** A frontend address already taken by another Service or another part of the same Service. */
    FRONTEND_CONFLICT;

    /** The reason as a Prometheus label value: {@code too_many_backends}. */
    public String metricLabel() {
        return name().toLowerCase(Locale.ROOT);
    }
}
