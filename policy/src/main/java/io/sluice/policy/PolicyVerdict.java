package io.sluice.policy;

/**
 * The data path's decision for a packet. Policy map entries only ever hold {@link #ALLOW}: a packet is
 * denied by finding no entry in a direction whose default-deny flag is set.
 */
public enum PolicyVerdict {
    DENY(0),
    ALLOW(1);

    private final int code;

    PolicyVerdict(int code) {
        this.code = code;
    }

    /** The value stored in the policy map and reported in drop/verdict events. */
    public int code() {
        return code;
    }
}
