package io.sluice.servicelb;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address as a value: the family plus 128 bits in two longs (an IPv4 address sits in the low
 * 32 bits of {@code low}). Compact, immutable, with value equality and a total order (IPv4 before IPv6, then
 * numeric), so it can key maps and sort backends the same way on every node.
 *
 * <p>{@link #parse(String)} accepts literals only and never resolves a name.
 *
 * @param family the address family
 * @param high   the upper 64 bits of an IPv6 address; 0 for IPv4
 * @param low    the lower 64 bits of an IPv6 address, or the IPv4 address as an unsigned 32-bit value
 */
public record IpAddress(IpFamily family, long high, long low) implements Comparable<IpAddress> {

    private static final long IPV4_MAPPED_PREFIX = 0xFFFFL;

    public IpAddress {
        Objects.requireNonNull(family, "family");
        if (family == IpFamily.IPV4 && (high != 0 || (low >>> 32) != 0)) {
            throw new IllegalArgumentException("an IPv4 address has 32 bits, got high=" + high + " low=" + low);
        }
    }

    /** The IPv4 address whose 32 bits (network order, most significant first) are {@code value}. */
    public static IpAddress ipv4(int value) {
        return new IpAddress(IpFamily.IPV4, 0, value & 0xFFFF_FFFFL);
    }

    /** The IPv6 address with the given upper and lower 64 bits. */
    public static IpAddress ipv6(long high, long low) {
        return new IpAddress(IpFamily.IPV6, high, low);
    }

    /** The address held in 4 (IPv4) or 16 (IPv6) bytes in network order. */
    public static IpAddress fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length == 4) {
            return ipv4((int) readLong(bytes, 0, 4));
        }
        if (bytes.length == 16) {
            return ipv6(readLong(bytes, 0, 8), readLong(bytes, 8, 8));
        }
        throw new IllegalArgumentException("an IP address has 4 or 16 bytes, got " + bytes.length);
    }

    /**
     * Parses an IPv4 dotted quad ({@code 10.0.0.1}) or an IPv6 literal ({@code fd00::1}, also with a trailing
     * dotted quad). Refuses everything else with a message saying why: host names, brackets, zone indices
     * ({@code %eth0}), shortened IPv4 forms ({@code 10.1}), surrounding spaces, and IPv4-mapped IPv6 addresses
     * ({@code ::ffff:10.0.0.1}, whose family would be ambiguous). Leading zeros in a dotted quad are read as
     * decimal, as kube-proxy's parser does ({@code 010.0.0.1} is {@code 10.0.0.1}).
     *
     * @throws IllegalArgumentException if {@code text} is not such a literal
     */
    public static IpAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty IP address");
        }
        if (text.indexOf(':') >= 0) {
            return parseIpv6(text);
        }
        return ipv4((int) parseIpv4(text, text));
    }

    /**
     * Reads a dotted quad by hand (no split, no substrings): under the C1-only launcher flags this parse runs once
     * per endpoint of every sync. The checks and their messages are those of a split on dots: first the count of
     * parts, then each part in order.
     */
    private static long parseIpv4(String text, String whole) {
        int dots = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '.') {
                dots++;
            }
        }
        if (dots != 3) {
            throw new IllegalArgumentException("'" + whole + "' is not an IP address (IPv4 needs four dotted numbers)");
        }
        long value = 0;
        int start = 0;
        for (int part = 0; part < 4; part++) {
            int end = part == 3 ? text.length() : text.indexOf('.', start);
            int length = end - start;
            if (length == 0 || length > 3) {
                throw new IllegalArgumentException("'" + whole + "' is not an IP address");
            }
            int octet = 0;
            for (int i = start; i < end; i++) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') {
                    throw new IllegalArgumentException("'" + whole + "' is not an IP address");
                }
                octet = octet * 10 + (c - '0');
            }
            if (octet > 255) {
                throw new IllegalArgumentException("'" + whole + "' is not an IP address (" + octet + " > 255)");
            }
            value = (value << 8) | octet;
            start = end + 1;
        }
        return value;
    }

    private static IpAddress parseIpv6(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                    || c == ':' || c == '.';
            if (!allowed) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address (unexpected '" + c + "')");
            }
        }
        int doubleColon = text.indexOf("::");
        if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address ('::' appears twice)");
        }
        int[] groups = new int[8];
        int count;
        if (doubleColon < 0) {
            count = parseGroups(text, text, groups, true);
            if (count != 8) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address (IPv6 needs 8 groups)");
            }
        } else {
            int[] tail = new int[8];
            int head = parseGroups(text.substring(0, doubleColon), text, groups, false);
            int tailCount = parseGroups(text.substring(doubleColon + 2), text, tail, true);
            if (head + tailCount > 7) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address (too many groups)");
            }
            System.arraycopy(tail, 0, groups, 8 - tailCount, tailCount);
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 4; i++) {
            high = (high << 16) | groups[i];
            low = (low << 16) | groups[i + 4];
        }
        if (high == 0 && (low >>> 32) == IPV4_MAPPED_PREFIX) {
            throw new IllegalArgumentException("'" + text
                    + "' is an IPv4-mapped IPv6 address; write the IPv4 address instead");
        }
        return ipv6(high, low);
    }

    /** Parses colon-separated groups into {@code out}; returns how many 16-bit groups it wrote. */
    private static int parseGroups(String part, String whole, int[] out, boolean dottedQuadAllowed) {
        if (part.isEmpty()) {
            return 0;
        }
        String[] tokens = part.split(":", -1);
        int n = 0;
        for (int i = 0; i < tokens.length; i++) {
            String token = tokens[i];
            boolean last = i == tokens.length - 1;
            if (token.indexOf('.') >= 0) {
                if (!last || !dottedQuadAllowed || n > 6) {
                    throw new IllegalArgumentException("'" + whole + "' is not an IP address (misplaced IPv4 part)");
                }
                long v4 = parseIpv4(token, whole);
                out[n++] = (int) (v4 >>> 16);
                out[n++] = (int) (v4 & 0xFFFF);
                continue;
            }
            if (token.isEmpty() || token.length() > 4) {
                throw new IllegalArgumentException("'" + whole + "' is not an IP address (bad group '" + token + "')");
            }
            if (n >= 8) {
                throw new IllegalArgumentException("'" + whole + "' is not an IP address (too many groups)");
            }
            out[n++] = Integer.parseInt(token, 16);
        }
        return n;
    }

    private static long readLong(byte[] bytes, int offset, int length) {
        long value = 0;
        for (int i = 0; i < length; i++) {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }
        return value;
    }

    /** True for an IPv4 address. */
    public boolean isIpv4() {
        return family == IpFamily.IPV4;
    }

    /** The IPv4 address as 32 bits, most significant octet first. */
    public int ipv4Bits() {
        if (!isIpv4()) {
            throw new IllegalStateException(this + " is not an IPv4 address");
        }
        return (int) low;
    }

    /** The address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
    public byte[] toBytes() {
        byte[] bytes = new byte[family.byteLength()];
        if (isIpv4()) {
            for (int i = 0; i < 4; i++) {
                bytes[i] = (byte) (low >>> (24 - 8 * i));
            }
        } else {
            for (int i = 0; i < 8; i++) {
                bytes[i] = (byte) (high >>> (56 - 8 * i));
                bytes[i + 8] = (byte) (low >>> (56 - 8 * i));
            }
        }
        return bytes;
    }

    /** The same address as a {@link InetAddress} (built from bytes: no name lookup). */
    public InetAddress toInetAddress() {
        try {
            return InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
    }

    /** Hand-written: a record's generated equals goes through a method handle, slow under C1 on hot map keys. */
    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddress other && low == other.low && high == other.high && family == other.family;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * family.ordinal() + Long.hashCode(high)) + Long.hashCode(low);
    }

    @Override
    public int compareTo(IpAddress other) {
        int byFamily = family.compareTo(other.family);
        if (byFamily != 0) {
            return byFamily;
        }
        int byHigh = Long.compareUnsigned(high, other.high);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(low, other.low);
    }

    /** The dotted quad of an IPv4 address given as 32 bits, most significant byte first (no leading zeros). */
    static String ipv4Text(int value) {
        return (value >>> 24) + "." + ((value >>> 16) & 0xFF) + "." + ((value >>> 8) & 0xFF) + "." + (value & 0xFF);
    }

    /** Canonical text: dotted quad for IPv4, RFC 5952 (lower case, longest zero run as {@code ::}) for IPv6. */
    @Override
    public String toString() {
        if (isIpv4()) {
            return ipv4Text((int) low);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) ((high >>> (48 - 16 * i)) & 0xFFFF);
            groups[i + 4] = (int) ((low >>> (48 - 16 * i)) & 0xFFFF);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
