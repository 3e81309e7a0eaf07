package io.sluice.policy;

/**
 * A Kubernetes object, or one field of it, that Sluice refused to enforce.
 *
 * @param kind Kubernetes kind, e.g. {@code NetworkPolicy}
 * @param namespace namespace of the object ("" for cluster-scoped or unknown)
 * @param name object name ("" when missing)
 * @param field path of the offending field, e.g. {@code spec.ingress[0].ports[1].endPort}
 * @param reason classification, usable as a metric label
 * @param detail what is wrong with the value
 */
public record Refusal(String kind, String namespace, String name, String field, RefusalReason reason, String detail) {

    static Refusal of(String kind, String namespace, String name, InvalidFieldException e) {
        return new Refusal(kind, namespace, name, e.field(), e.reason(), e.detail());
    }

    /** One-line message for logs and events: {@code NetworkPolicy team-a/web: spec.ingress[0]...: ...}. */
    public String message() {
        return kind + " " + namespace + "/" + name + ": " + field + ": " + detail + " (" + reason.metricLabel() + ")";
    }

    @Override
    public String toString() {
        return message();
    }
}
