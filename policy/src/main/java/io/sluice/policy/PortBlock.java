package io.sluice.policy;

/**
 * An aligned block of 16-bit port numbers written as a prefix: the ports whose top {@code prefixLength}
 * bits equal those of {@code port}. {@code (8080, 16)} is the single port 8080, {@code (1024, 6)} is
 * 1024..2047 and {@code (0, 0)} is every port. The policy map is an LPM trie, so a block is exactly what
 * one key with a prefix length can cover.
 *
 * @param port the first port of the block (its low {@code 16 - prefixLength} bits are zero)
 * @param prefixLength number of leading port bits that must match, 0..16
 */
public record PortBlock(int port, int prefixLength) {

    /** The block that covers every port. */
    public static final PortBlock ALL = new PortBlock(0, 0);

    public PortBlock {
        check(port, prefixLength);
    }

    /**
     * Refuses a port and prefix length that make no block (what the constructor checks, for callers that keep the two
     * numbers without a PortBlock).
     *
     * @throws IllegalArgumentException naming the bad value
     */
    static void check(int port, int prefixLength) {
        if (prefixLength < 0 || prefixLength > 16) {
            throw new IllegalArgumentException("port prefix length " + prefixLength + " is not in 0..16");
        }
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        }
        if ((port & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("port " + port + " has bits set below its /" + prefixLength + " prefix");
        }
    }

    /** The single-port block. */
    public static PortBlock single(int port) {
        return new PortBlock(port, 16);
    }

    /** First port covered. */
    public int first() {
        return port;
    }

    /** Last port covered. */
    public int last() {
        return port | (~mask(prefixLength) & 0xFFFF);
    }

    /** Number of ports covered. */
    public int size() {
        return 1 << (16 - prefixLength);
    }

    /** Whether {@code candidate} lies in this block: the prefix test the kernel's trie performs. */
    public boolean contains(int candidate) {
        return (candidate & mask(prefixLength)) == port;
    }

    private static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : (0xFFFF << (16 - prefixLength)) & 0xFFFF;
    }

    @Override
    public String toString() {
        return prefixLength == 16 ? Integer.toString(port) : port + "/" + prefixLength;
    }
}
