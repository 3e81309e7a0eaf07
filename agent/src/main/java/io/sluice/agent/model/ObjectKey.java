package io.sluice.agent.model;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;

/**
 * The identity of one watched object: its kind, namespace ("" for cluster-scoped kinds) and name.
 * The store keeps the latest version of each key; reconcilers are told which keys changed.
 */
public record ObjectKey(ResourceKind kind, String namespace, String name) {

    public ObjectKey {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    /** The key of {@code object}, which must be of {@code kind}. */
    public static ObjectKey of(ResourceKind kind, HasMetadata object) {
        var meta = object.getMetadata();
        String ns = kind.namespaced() && meta.getNamespace() != null ? meta.getNamespace() : "";
        return new ObjectKey(kind, ns, meta.getName());
    }

    /**
     * Hand-written, as the record's would compute it: the generated equals and hashCode go through method handles,
     * slow under C1, and this is the key of the manifest source's and the writer's maps (~10 lookups per object
     * in a first sync).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectKey other && kind == other.kind && name.equals(other.name)
                && namespace.equals(other.namespace);
    }

    @Override
    public int hashCode() {
        return (31 * kind.hashCode() + namespace.hashCode()) * 31 + name.hashCode();
    }

    /** "Service default/web", or "Node worker-1" for cluster-scoped kinds. */
    @Override
    public String toString() {
        return namespace.isEmpty() ? kind + " " + name : kind + " " + namespace + "/" + name;
    }
}
