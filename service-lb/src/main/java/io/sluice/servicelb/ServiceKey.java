package io.sluice.servicelb;

import java.util.Objects;

/**
 * A Service's identity: namespace and name. Keys the agent's desired-state map.
 *
 * @param namespace the Service's namespace, not empty
 * @param name      the Service's name, not empty
 */
public record ServiceKey(String namespace, String name) implements Comparable<ServiceKey> {

    public ServiceKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (namespace.isEmpty() || name.isEmpty()) {
            throw new IllegalArgumentException("a Service key needs a namespace and a name: '" + namespace + "/"
                    + name + "'");
        }
    }

    /** By namespace, then name; written out rather than a comparator chain, which C1 does not inline. */
    @Override
    public int compareTo(ServiceKey other) {
        int c = namespace.compareTo(other.namespace);
        return c != 0 ? c : name.compareTo(other.name);
    }

    /** Hand-written: a record's generated equals goes through a method handle, slow under C1 on hot map keys. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ServiceKey other && name.equals(other.name) && namespace.equals(other.namespace);
    }

    @Override
    public int hashCode() {
        return 31 * namespace.hashCode() + name.hashCode();
    }

    /** {@code namespace/name}. */
    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
