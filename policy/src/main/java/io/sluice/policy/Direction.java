package io.sluice.policy;

/**
 * Traffic direction seen from an endpoint: INGRESS is traffic arriving at the pod, EGRESS traffic it
 * sends. The numeric code is the value of the direction field in the policy map key.
 */
public enum Direction {
    INGRESS(0),
    EGRESS(1);

    private final int code;

    Direction(int code) {
        this.code = code;
    }

    /** The value written into the policy map key. */
    public int code() {
        return code;
    }
}
