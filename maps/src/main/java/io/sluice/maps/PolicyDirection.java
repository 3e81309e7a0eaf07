package io.sluice.maps;

/** A direction seen from a local endpoint: {@code policy4_key.direction} and {@code drop_event.direction}. */
public enum PolicyDirection {
    /** Traffic delivered to the pod (checked in {@code to_pod}). */
    INGRESS(PolicyConstants.POLICY_INGRESS),
    /** Traffic the pod sends (checked in {@code from_pod}). */
    EGRESS(PolicyConstants.POLICY_EGRESS);

    private final int value;

    PolicyDirection(int value) {
        this.value = value;
    }

    /** The value in the C fields. */
    public int value() {
        return value;
    }

    /** The direction with that value; anything else is refused naming {@code field}. */
    static PolicyDirection of(String field, int value) {
        for (PolicyDirection d : values()) {
            if (d.value == value) {
                return d;
            }
        }
        throw new IllegalArgumentException(field + " = " + value + " is neither ingress (0) nor egress (1)");
    }
}
