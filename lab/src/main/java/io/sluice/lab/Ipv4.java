package io.sluice.lab;

/** IPv4 addresses as unsigned 32-bit values in an {@code int}, and their dotted-quad text. */
final class Ipv4 {
    private Ipv4() {
    }

    /**
     * Parses a dotted quad such as {@code 198.19.1.2}.
     *
     * @throws IllegalArgumentException when {@code text} is not one
     */
    static int parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
        }
        int value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "."
                + (address & 0xff);
    }

    /** Whether {@code address} lies in {@code network}/{@code prefixLength}. */
    static boolean contains(int network, int prefixLength, int address) {
        int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return (address & mask) == (network & mask);
    }
}
