package io.sluice.servicelb;

import java.util.Objects;

/**
 * One part of the input that was not turned into data-path entries, and why. Only that part is left out: a bad
 * port refuses that port's frontends, a bad endpoint address refuses that endpoint, and the rest goes through.
 *
 * @param object  the Service or EndpointSlice
 * @param field   the field path inside the object, as the Kubernetes API spells it ({@code spec.ports[1].port},
 *                {@code endpoints[3].addresses[0]}, {@code metadata.annotations[sluice.io/lb-algorithm]})
 * @param reason  the reason, usable as a metric label
 * @param message what was wrong and what was left out, for a person
 */
public record Refusal(ObjectRef object, String field, RefusalReason reason, String message) {

    public Refusal {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        if (field.isBlank()) {
            throw new IllegalArgumentException("a refusal names a field");
        }
    }

    /** {@code Service default/web spec.ports[1].port: 70000 is out of range 1..65535 (invalid_port)}. */
    @Override
    public String toString() {
        return object + " " + field + ": " + message + " (" + reason.metricLabel() + ")";
    }
}
