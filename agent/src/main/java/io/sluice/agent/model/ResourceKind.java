package io.sluice.agent.model;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

/** The kinds of Kubernetes object the agent watches, with the model class and API identity of each. */
public enum ResourceKind {
    SERVICE(Service.class, "v1", "Service", true),
    ENDPOINT_SLICE(EndpointSlice.class, "discovery.k8s.io/v1", "EndpointSlice", true),
    POD(Pod.class, "v1", "Pod", true),
    NAMESPACE(Namespace.class, "v1", "Namespace", false),
    NETWORK_POLICY(NetworkPolicy.class, "networking.k8s.io/v1", "NetworkPolicy", true),
    NODE(Node.class, "v1", "Node", false);

    private static final ResourceKind[] VALUES = values();

    private final Class<? extends HasMetadata> type;
    private final String apiVersion;
    private final String apiKind;
    private final boolean namespaced;

    ResourceKind(Class<? extends HasMetadata> type, String apiVersion, String apiKind, boolean namespaced) {
        this.type = type;
        this.apiVersion = apiVersion;
        this.apiKind = apiKind;
        this.namespaced = namespaced;
    }

    /** The fabric8 model class of this kind. */
    public Class<? extends HasMetadata> type() {
        return type;
    }

    /** The {@code apiVersion} objects of this kind carry, e.g. {@code discovery.k8s.io/v1}. */
    public String apiVersion() {
        return apiVersion;
    }

    /** The {@code kind} field as the API spells it, e.g. {@code EndpointSlice}; also the metric label. */
    public String apiKind() {
        return apiKind;
    }

    /** Whether objects of this kind live in a namespace (Namespaces and Nodes do not). */
    public boolean namespaced() {
        return namespaced;
    }

    /**
     * The kind whose model class {@code object} is an instance of (a {@code PackedEndpointSlice} is an
     * EndpointSlice), or null when the agent does not watch it.
     */
    public static ResourceKind of(HasMetadata object) {
        for (ResourceKind kind : VALUES) {
            if (kind.type.isInstance(object)) {
                return kind;
            }
        }
        return null;
    }

    /** The kind with this {@code apiVersion} and {@code kind}, or null when the agent does not watch it. */
    public static ResourceKind of(String apiVersion, String apiKind) {
        for (ResourceKind kind : VALUES) {
            if (kind.apiKind.equals(apiKind) && kind.apiVersion.equals(apiVersion)) {
                return kind;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return apiKind;
    }
}
