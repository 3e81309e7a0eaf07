package io.sluice.policy;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * An IPv4 or IPv6 prefix (a CIDR) with its host bits cleared; a single address is a /32 or /128.
 * The address is held as 128 bits in two longs ({@code high} are the first 64 bits of an IPv6
 * address; an IPv4 address sits in the low 32 bits of {@code low}), so prefixes are cheap map keys.
 *
 * @param ipv6 address family
 * @param high first 64 bits of an IPv6 address, 0 for IPv4
 * @param low last 64 bits of an IPv6 address, or the IPv4 address in the low 32 bits
 * @param length prefix length, 0..32 for IPv4, 0..128 for IPv6
 */
public record IpPrefix(boolean ipv6, long high, long low, int length) implements Comparable<IpPrefix> {

    public IpPrefix {
        if (length < 0 || length > (ipv6 ? 128 : 32)) {
            throw new IllegalArgumentException("prefix length " + length + " is out of range for " + (ipv6 ? "IPv6" : "IPv4"));
        }
        if (!ipv6 && (high != 0 || (low >>> 32) != 0)) {
            throw new IllegalArgumentException("IPv4 address does not fit in 32 bits");
        }
        long[] masked = mask(ipv6, high, low, length);
        high = masked[0];
        low = masked[1];
    }

    /** Number of address bits in this family: 32 or 128. */
    public int addressBits() {
        return ipv6 ? 128 : 32;
    }

    /** Whether this prefix is one full address (/32 or /128). */
    public boolean isHost() {
        return length == addressBits();
    }

    /**
     * Parses {@code "a.b.c.d/n"} or an IPv6 CIDR. Host bits are cleared ({@code 10.1.2.3/8} is
     * {@code 10.0.0.0/8}), as Kubernetes' own CIDR parsing does.
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static IpPrefix parseCidr(String text) {
        if (text == null) {
            throw new IllegalArgumentException("CIDR is missing");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR: no /prefix-length");
        }
        IpPrefix address = parseAddress(text.substring(0, slash));
        String lengthText = text.substring(slash + 1);
        if (lengthText.isEmpty() || lengthText.length() > 3 || !lengthText.chars().allMatch(c -> c >= '0' && c <= '9')
                || (lengthText.length() > 1 && lengthText.charAt(0) == '0')) {
            throw new IllegalArgumentException("\"" + text + "\" has an invalid prefix length");
        }
        int length = Integer.parseInt(lengthText);
        if (length > address.addressBits()) {
            throw new IllegalArgumentException("\"" + text + "\": prefix length " + length + " exceeds " + address.addressBits());
        }
        return new IpPrefix(address.ipv6, address.high, address.low, length);
    }

    /**
     * Parses one IPv4 address in dotted decimal (four octets, no leading zeros) or one IPv6 address,
     * giving its /32 or /128 prefix. IPv4-mapped IPv6 text is read as the IPv4 address.
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static IpPrefix parseAddress(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("IP address is missing");
        }
        if (text.indexOf(':') < 0) {
            return new IpPrefix(false, 0, parseIpv4(text), 32);
        }
        InetAddress parsed;
        try {
            parsed = InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
        }
        byte[] bytes = parsed.getAddress();
        if (!(parsed instanceof Inet6Address)) {
            return new IpPrefix(false, 0, toLong(bytes, 0, 4), 32);
        }
        return new IpPrefix(true, toLong(bytes, 0, 8), toLong(bytes, 8, 8), 128);
    }

    /** The IPv4 /32 of a 32-bit address value (for tests and generated data). */
    public static IpPrefix ipv4(long address, int length) {
        return new IpPrefix(false, 0, address & 0xFFFF_FFFFL, length);
    }

    private static long parseIpv4(String text) {
        long value = 0;
        int octets = 0;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('.', start);
            if (end < 0) end = text.length();
            String part = text.substring(start, end);
            if (++octets > 4) break;
            int octet = 0;
            boolean digits = !part.isEmpty() && part.length() <= 3 && (part.length() == 1 || part.charAt(0) != '0');
            for (int i = 0; digits && i < part.length(); i++) {
                char c = part.charAt(i);
                digits = c >= '0' && c <= '9';
                octet = octet * 10 + (c - '0');
            }
            if (!digits) {
                throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address: bad octet \"" + part + "\"");
            }
            if (octet > 255) {
                throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address: octet " + octet + " > 255");
            }
            value = (value << 8) | octet;
            start = end + 1;
        }
        if (octets != 4) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address: needs four dotted octets");
        }
        return value;
    }

    private static long toLong(byte[] bytes, int offset, int count) {
        long v = 0;
        for (int i = 0; i < count; i++) {
            v = (v << 8) | (bytes[offset + i] & 0xFF);
        }
        return v;
    }

    /** Whether every address of {@code other} lies in this prefix (a prefix contains itself). */
    public boolean contains(IpPrefix other) {
        if (other.ipv6 != ipv6 || other.length < length) {
            return false;
        }
        long[] m = mask(ipv6, other.high, other.low, length);
        return m[0] == high && m[1] == low;
    }

    /** This prefix shortened to {@code newLength} bits (what an LPM lookup compares at that level). */
    public IpPrefix truncate(int newLength) {
        if (newLength > length) {
            throw new IllegalArgumentException("cannot lengthen /" + length + " to /" + newLength);
        }
        return new IpPrefix(ipv6, high, low, newLength);
    }

    /** The network address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
    public byte[] addressBytes() {
        byte[] out = new byte[ipv6 ? 16 : 4];
        if (ipv6) {
            for (int i = 0; i < 8; i++) {
                out[i] = (byte) (high >>> (56 - 8 * i));
                out[8 + i] = (byte) (low >>> (56 - 8 * i));
            }
        } else {
            for (int i = 0; i < 4; i++) {
                out[i] = (byte) (low >>> (24 - 8 * i));
            }
        }
        return out;
    }

    private static long[] mask(boolean ipv6, long high, long low, int length) {
        if (!ipv6) {
            long m = length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
            return new long[] {0, low & m};
        }
        if (length <= 64) {
            return new long[] {high & topBits(length), 0};
        }
        return new long[] {high, low & topBits(length - 64)};
    }

    private static long topBits(int n) {
        return n == 0 ? 0 : -1L << (64 - n);
    }

    /** RFC 5952 text: lower-case hex groups, the longest run of two or more zero groups as "::". */
    private static String ipv6Text(long high, long low) {
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) (high >>> (48 - 16 * i)) & 0xFFFF;
            groups[4 + i] = (int) (low >>> (48 - 16 * i)) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) j++;
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    @Override
    public int compareTo(IpPrefix o) {
        int c = Boolean.compare(ipv6, o.ipv6);
        if (c == 0) c = Long.compareUnsigned(high, o.high);
        if (c == 0) c = Long.compareUnsigned(low, o.low);
        if (c == 0) c = Integer.compare(length, o.length);
        return c;
    }

    @Override
    public String toString() {
        String address;
        if (ipv6) {
            address = ipv6Text(high, low);
        } else {
            address = (low >>> 24) + "." + ((low >>> 16) & 0xFF) + "." + ((low >>> 8) & 0xFF) + "." + (low & 0xFF);
        }
        return address + "/" + length;
    }
}
