package io.sluice.servicelb;

import java.util.Objects;

/**
 * The Kubernetes object a {@link Refusal} is about.
 *
 * @param kind      {@code Service} or {@code EndpointSlice}
 * @param namespace the object's namespace, empty if the object has none
 * @param name      the object's name, empty if the object has none
 */
public record ObjectRef(String kind, String namespace, String name) {

    /** Kind of a Service. */
    public static final String SERVICE = "Service";
    /** Kind of an EndpointSlice. */
    public static final String ENDPOINT_SLICE = "EndpointSlice";

    public ObjectRef {
        Objects.requireNonNull(kind, "kind");
        namespace = namespace == null ? "" : namespace;
        name = name == null ? "" : name;
    }

    /** {@code Service default/web}; a missing namespace or name shows as {@code <none>}. */
    @Override
    public String toString() {
        return kind + " " + (namespace.isEmpty() ? "<none>" : namespace) + "/" + (name.isEmpty() ? "<none>" : name);
    }
}
