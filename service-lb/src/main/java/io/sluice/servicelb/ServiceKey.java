package io.sluice.servicelb;

import java.util.Comparator;
import java.util.Objects;

/**
 * A Service's identity: namespace and name. Keys the agent's desired-state map.
 *
 * @param namespace the Service's namespace, not empty
 * @param name      the Service's name, not empty
 */
public record ServiceKey(String namespace, String name) implements Comparable<ServiceKey> {

    private static final Comparator<ServiceKey> ORDER =
            Comparator.comparing(ServiceKey::namespace).thenComparing(ServiceKey::name);

    public ServiceKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (namespace.isEmpty() || name.isEmpty()) {
            throw new IllegalArgumentException("a Service key needs a namespace and a name: '" + namespace + "/"
                    + name + "'");
        }
    }

    @Override
    public int compareTo(ServiceKey other) {
        return ORDER.compare(this, other);
    }

    /** {@code namespace/name}. */
    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
