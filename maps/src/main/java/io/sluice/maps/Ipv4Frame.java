package io.sluice.maps;

import java.nio.ByteBuffer;

/**
 * Ethernet/IPv4 frames with valid checksums, and the RFC 1071 checksum arithmetic to verify them: the one builder
 * behind {@code sluice explain}'s probe frames and the kernel tests' packets. It lives here, beside {@link Ipv4}
 * and {@link IpProtocol}, because this is the lowest module both the agent and the test fixtures depend on.
 * <pre>
 *  0         6         12       14                      34 + options
 *  +---------+---------+--------+-----------------------+------------------
 *  | dst MAC | src MAC | 0x0800 | IPv4 (DF, TTL 64)     | TCP / UDP / ICMP
 *  +---------+---------+--------+-----------------------+------------------
 * </pre>
 */
public final class Ipv4Frame {
    /** Ethernet header length. */
    public static final int ETH_LEN = 14;
    /** The IPv4 ethertype. */
    public static final int ETH_P_IP = 0x0800;
    /** IPv4 header length without options. */
    public static final int IPV4_LEN = 20;
    /** The ICMP protocol number: its checksum covers no pseudo-header. */
    public static final int ICMP = 1;

    private Ipv4Frame() {
    }

    /**
     * Ethernet, an IPv4 header (DF, TTL 64, {@code options} a multiple of 4 bytes) and the transport bytes
     * {@code l4}, whose checksum field (TCP at 16, UDP at 6, otherwise at 2 as in ICMP) is computed and written
     * here, as is the IPv4 header checksum. A UDP checksum that computes to 0 is sent as 0xffff, since 0 means
     * "none".
     *
     * @param source      source address, host order
     * @param destination destination address, host order
     */
    public static byte[] build(byte[] destinationMac, byte[] sourceMac, int identification, int source,
                               int destination, int protocol, byte[] options, byte[] l4) {
        if (options.length % 4 != 0 || options.length > 40) {
            throw new IllegalArgumentException("IPv4 options: " + options.length + " bytes, not a multiple of 4 up to 40");
        }
        int ipLen = IPV4_LEN + options.length;
        ByteBuffer b = ByteBuffer.allocate(ETH_LEN + ipLen + l4.length);
        b.put(destinationMac).put(sourceMac).putShort((short) ETH_P_IP);
        b.put((byte) (0x40 | ipLen / 4)).put((byte) 0).putShort((short) (ipLen + l4.length))
                .putShort((short) identification).putShort((short) 0x4000).put((byte) 64).put((byte) protocol)
                .putShort((short) 0).putInt(source).putInt(destination).put(options);
        int l4Offset = b.position();
        b.put(l4);
        byte[] frame = b.array();
        putShort(frame, ETH_LEN + 10, checksum(frame, ETH_LEN, ipLen, 0));
        int checkOffset = switch (protocol) {
            case 6 -> 16;
            case 17 -> 6;
            default -> 2;
        };
        putShort(frame, l4Offset + checkOffset, 0);
        int l4Sum = transportChecksum(frame, l4Offset, l4.length, source, destination, protocol);
        if (protocol == IpProtocol.UDP.number() && l4Sum == 0) {
            l4Sum = 0xffff;
        }
        putShort(frame, l4Offset + checkOffset, l4Sum);
        return frame;
    }

    /**
     * Refuses a frame that is too short for Ethernet and IPv4 or has another ethertype, naming its length.
     *
     * @throws IllegalArgumentException "not an Ethernet/IPv4 frame (N bytes)"
     */
    public static void requireIpv4(byte[] frame) {
        if (frame.length < ETH_LEN + IPV4_LEN || ((frame[12] & 0xff) << 8 | (frame[13] & 0xff)) != ETH_P_IP) {
            throw new IllegalArgumentException("not an Ethernet/IPv4 frame (" + frame.length + " bytes)");
        }
    }

    /**
     * The checksum of a transport segment of {@code length} bytes at {@code offset}: over the IPv4 pseudo-header
     * and the segment for TCP and UDP, over the segment alone for ICMP. With the checksum field zero it is the
     * value to store; over a segment whose stored checksum is right it is 0.
     */
    public static int transportChecksum(byte[] data, int offset, int length, int source, int destination,
                                        int protocol) {
        int pseudo = protocol == ICMP ? 0
                : (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol
                        + length;
        return checksum(data, offset, length, pseudo);
    }

    /**
     * The one's complement of the one's complement sum of {@code length} bytes plus {@code initial} (RFC 1071);
     * over a header whose stored checksum is right it is 0.
     */
    public static int checksum(byte[] data, int offset, int length, int initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += (data[offset + i] & 0xff) << 8 | (data[offset + i + 1] & 0xff);
        }
        if ((length & 1) == 1) {
            sum += (data[offset + length - 1] & 0xff) << 8;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static void putShort(byte[] data, int offset, int value) {
        data[offset] = (byte) (value >>> 8);
        data[offset + 1] = (byte) value;
    }
}
