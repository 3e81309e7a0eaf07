package io.sluice.servicelb;

import java.util.Objects;

/**
 * An IP prefix such as {@code 10.0.0.0/8} or {@code fd00::/64}; {@link #contains(IpAddress)} tests membership.
 * The network address always has its host bits cleared.
 *
 * @param network      the first address of the prefix, host bits zero
 * @param prefixLength the number of leading bits that are fixed, 0..32 or 0..128
 */
public record IpCidr(IpAddress network, int prefixLength) {

    public IpCidr {
        Objects.requireNonNull(network, "network");
        if (prefixLength < 0 || prefixLength > network.family().bitLength()) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range 0.."
                    + network.family().bitLength() + " for " + network.family());
        }
        if (!masked(network, prefixLength).equals(network)) {
            throw new IllegalArgumentException(network + "/" + prefixLength + " has host bits set");
        }
    }

    /**
     * Parses {@code address/length}. Host bits in the address are cleared, as kube-proxy's parser does
     * ({@code 10.1.2.3/8} is {@code 10.0.0.0/8}).
     *
     * @throws IllegalArgumentException if {@code text} is not such a prefix
     */
    public static IpCidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("empty CIDR");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (expected address/length)");
        }
        IpAddress address = IpAddress.parse(text.substring(0, slash));
        String lengthText = text.substring(slash + 1);
        if (lengthText.isEmpty() || lengthText.length() > 3 || !lengthText.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (bad prefix length)");
        }
        int length = Integer.parseInt(lengthText);
        if (length > address.family().bitLength()) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR (prefix length above "
                    + address.family().bitLength() + ")");
        }
        return new IpCidr(masked(address, length), length);
    }

    /** The family of the prefix. */
    public IpFamily family() {
        return network.family();
    }

    /** True if {@code address} is of the same family and inside this prefix. */
    public boolean contains(IpAddress address) {
        return address.family() == family() && masked(address, prefixLength).equals(network);
    }

    private static IpAddress masked(IpAddress address, int prefixLength) {
        if (address.isIpv4()) {
            long mask = prefixLength == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefixLength)) & 0xFFFF_FFFFL;
            return new IpAddress(IpFamily.IPV4, 0, address.low() & mask);
        }
        long highMask = prefixLength >= 64 ? -1L : prefixLength == 0 ? 0 : -1L << (64 - prefixLength);
        long lowMask = prefixLength <= 64 ? 0 : prefixLength == 128 ? -1L : -1L << (128 - prefixLength);
        return IpAddress.ipv6(address.high() & highMask, address.low() & lowMask);
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}
