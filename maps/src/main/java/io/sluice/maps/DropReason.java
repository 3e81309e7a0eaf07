package io.sluice.maps;

import java.util.Locale;

/** Why the data path dropped a packet: {@code drop_event.reason} ({@code DROP_REASON_*} of policy_consts.h). */
public enum DropReason {
    /** No policy entry allows the flow in a direction the endpoint enforces. */
    POLICY(PolicyConstants.DROP_REASON_POLICY),
    /** A pod sent from an address that is not its own. */
    SPOOFED(PolicyConstants.DROP_REASON_SPOOFED),
    /** A later IPv4 fragment whose first fragment was not seen. */
    FRAGMENT(PolicyConstants.DROP_REASON_FRAGMENT),
    /** IPv6 to or from an endpoint that enforces policy. */
    UNSUPPORTED_L3(PolicyConstants.DROP_REASON_UNSUPPORTED_L3);

    private final int value;

    DropReason(int value) {
        this.value = value;
    }

    /** The value in {@code drop_event.reason}. */
    public int value() {
        return value;
    }

    /** The lower-case name, for metric labels and logs ({@code policy}, {@code spoofed}, ...). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The reason with that value; anything else is refused naming the field. */
    public static DropReason of(int value) {
        for (DropReason r : values()) {
            if (r.value == value) {
                return r;
            }
        }
        throw new IllegalArgumentException("drop_event.reason = " + value + " is not a known DROP_REASON_*");
    }
}
