package io.sluice.maps;

/** The transport protocols the data path translates, with their IANA numbers (the {@code proto} fields). */
public enum IpProtocol {
    TCP(6),
    UDP(17);

    private final int number;

    IpProtocol(int number) {
        this.number = number;
    }

    /** The IANA protocol number, as in the IPv4 header. */
    public int number() {
        return number;
    }

    /** The protocol with that number; any other number is refused. */
    public static IpProtocol of(int number) {
        for (IpProtocol p : values()) {
            if (p.number == number) {
                return p;
            }
        }
        throw new IllegalArgumentException("IP protocol " + number + " is not handled by the data path (TCP 6, UDP 17)");
    }
}
