package io.sluice.policy;

import java.util.Optional;

/**
 * A transport protocol that a NetworkPolicy port can name, with the IP protocol number the kernel
 * sees in the packet and that the policy map key carries.
 */
public enum Protocol {
    TCP(6),
    UDP(17),
    SCTP(132);

    /** Protocol number in a policy entry that matches every protocol (rules without ports). */
    public static final int ANY = 0;

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    /** The IP protocol number (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP). */
    public int number() {
        return number;
    }

    /** Parses a Kubernetes protocol name; the API spells them in upper case only. */
    public static Optional<Protocol> fromKubernetesName(String name) {
        for (Protocol p : values()) {
            if (p.name().equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The protocol with this IP protocol number, if it is one a NetworkPolicy can name. */
    public static Optional<Protocol> fromNumber(int number) {
        for (Protocol p : values()) {
            if (p.number == number) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
