package io.sluice.maps;

/** Which traffic a frontend serves ({@code lb4_key.scope}, the {@code LB_SCOPE_*} values of sluice_consts.h). */
public enum LbScope {
    /** Traffic from outside the node (NodePort, LoadBalancer, ExternalIP arriving on an external interface). */
    EXTERNAL(DatapathConstants.LB_SCOPE_EXTERNAL),
    /** Traffic from the node itself and its pods. */
    INTERNAL(DatapathConstants.LB_SCOPE_INTERNAL);

    private final int value;

    LbScope(int value) {
        this.value = value;
    }

    /** The value in {@code lb4_key.scope}. */
    public int value() {
        return value;
    }

    static LbScope of(int value) {
        for (LbScope s : values()) {
            if (s.value == value) {
                return s;
            }
        }
        throw new IllegalArgumentException("lb4_key.scope " + value + " is neither external (0) nor internal (1)");
    }
}
