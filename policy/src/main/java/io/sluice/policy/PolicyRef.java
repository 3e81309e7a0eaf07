package io.sluice.policy;

/**
 * Names a NetworkPolicy.
 *
 * @param namespace the policy's namespace
 * @param name the policy's name
 */
public record PolicyRef(String namespace, String name) implements Comparable<PolicyRef> {

    @Override
    public int compareTo(PolicyRef o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }

    // Written out: a hot map key, and the record's generated methods are slow without the optimising compiler.
    @Override
    public boolean equals(Object o) {
        return o instanceof PolicyRef r && java.util.Objects.equals(namespace, r.namespace) && java.util.Objects.equals(name, r.name);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hashCode(namespace) + java.util.Objects.hashCode(name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
