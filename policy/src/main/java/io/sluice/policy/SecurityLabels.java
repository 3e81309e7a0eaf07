package io.sluice.policy;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The labels that decide a pod's security identity: its namespace's labels (always including
 * {@value #NAMESPACE_NAME_LABEL}, which the API server sets on every namespace) and the pod's own labels.
 * Pods whose two label sets are equal are indistinguishable to every NetworkPolicy selector and share
 * one identity.
 *
 * @param namespaceLabels labels of the pod's namespace, with the namespace name label
 * @param podLabels labels of the pod
 */
public record SecurityLabels(SortedMap<String, String> namespaceLabels, SortedMap<String, String> podLabels) {

    /** Label the API server puts on every namespace, holding its name. */
    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    public SecurityLabels {
        namespaceLabels = Collections.unmodifiableSortedMap(new TreeMap<>(namespaceLabels));
        podLabels = Collections.unmodifiableSortedMap(new TreeMap<>(podLabels));
        if (!namespaceLabels.containsKey(NAMESPACE_NAME_LABEL)) {
            throw new IllegalArgumentException("namespace labels lack " + NAMESPACE_NAME_LABEL);
        }
    }

    /**
     * Labels of a pod in namespace {@code namespace}; the namespace name label is forced to the
     * namespace's name, so a selector on it means what the API server guarantees it means.
     */
    public static SecurityLabels of(String namespace, Map<String, String> namespaceLabels, Map<String, String> podLabels) {
        TreeMap<String, String> ns = new TreeMap<>(namespaceLabels == null ? Map.of() : namespaceLabels);
        ns.put(NAMESPACE_NAME_LABEL, namespace);
        return new SecurityLabels(ns, podLabels == null ? new TreeMap<>() : new TreeMap<>(podLabels));
    }

    /** The pod's namespace. */
    public String namespace() {
        return namespaceLabels.get(NAMESPACE_NAME_LABEL);
    }

    /**
     * Canonical text of these labels, the key under which an {@link IdentityStore} keeps the identity:
     * {@code k8s:ns{key=value,...}pod{key=value,...}} with {@code % , = { }} escaped, so that different label
     * sets never share a key.
     */
    public String storeKey() {
        StringBuilder sb = new StringBuilder("k8s:ns{");
        append(sb, namespaceLabels);
        sb.append("}pod{");
        append(sb, podLabels);
        return sb.append('}').toString();
    }

    private static void append(StringBuilder sb, SortedMap<String, String> labels) {
        boolean first = true;
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            escape(sb, e.getKey());
            sb.append('=');
            escape(sb, e.getValue());
        }
    }

    private static void escape(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' || c == ',' || c == '=' || c == '{' || c == '}') {
                sb.append('%').append(String.format("%02X", (int) c));
            } else {
                sb.append(c);
            }
        }
    }

    @Override
    public String toString() {
        return "ns" + namespaceLabels + " pod" + podLabels;
    }
}
