package io.sluice.policy;

/**
 * A field of a Kubernetes object holds a value Sluice cannot enforce. Carries the field path (for
 * example {@code spec.ingress[0].ports[1].endPort}) and the reason; the caller adds which object.
 */
public final class InvalidFieldException extends Exception {

    private final String field;
    private final RefusalReason reason;

    public InvalidFieldException(String field, RefusalReason reason, String detail) {
        super(field + ": " + detail);
        this.field = field;
        this.reason = reason;
    }

    /** Path of the offending field inside the object. */
    public String field() {
        return field;
    }

    /** Classification of the problem. */
    public RefusalReason reason() {
        return reason;
    }

    /** The problem without the field path. */
    public String detail() {
        return getMessage().substring(field.length() + 2);
    }
}
