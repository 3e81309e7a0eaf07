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

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
