package io.sluice.netpol;

import io.sluice.fixtures.TestPacket;
import java.nio.ByteBuffer;

/** Frames {@link TestPacket} does not build: fragments, a cut TCP header, IPv6, ARP. Checksums are not needed by the policy path. */
final class RawFrames {
    private static final byte[] MACS = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

    private RawFrames() {
    }

    /** An IPv4 frame with the given fragment field (flags and offset) and IP identification around {@code l4}. */
    static byte[] ipv4(String source, String destination, int protocol, int fragmentField, int id, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + l4.length);
        b.put(MACS).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putShort((short) id)
                .putShort((short) fragmentField).put((byte) 64).put((byte) protocol).putShort((short) 0)
                .putInt(TestPacket.ip(source)).putInt(TestPacket.ip(destination));
        return b.put(l4).array();
    }

    /** UDP header and payload of a datagram of {@code payloadLength} bytes (the first fragment's L4). */
    static byte[] udp(int sourcePort, int destinationPort, int payloadLength) {
        return ByteBuffer.allocate(8 + payloadLength).putShort((short) sourcePort).putShort((short) destinationPort)
                .putShort((short) (8 + payloadLength)).putShort((short) 0).array();
    }

    /** A TCP segment cut after 10 bytes of its header. */
    static byte[] cutTcp(String source, String destination) {
        return ipv4(source, destination, 6, 0x4000, 1, new byte[10]);
    }

    /** An IPv6 UDP frame (fd00::1 to fd00::2). */
    static byte[] ipv6Udp() {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 8);
        b.put(MACS).putShort((short) 0x86dd);
        b.putInt(0x60000000).putShort((short) 8).put((byte) 17).put((byte) 64);
        b.putLong(0xfd00000000000000L).putLong(1).putLong(0xfd00000000000000L).putLong(2);
        return b.putShort((short) 5000).putShort((short) 53).putShort((short) 8).putShort((short) 0).array();
    }

    /** An ARP request. */
    static byte[] arp() {
        ByteBuffer b = ByteBuffer.allocate(14 + 28);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1, 2, 0, 0, 0, 0, 1}).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        return b.put(new byte[] {2, 0, 0, 0, 0, 1}).putInt(TestPacket.ip("10.0.1.2")).put(new byte[6])
                .putInt(TestPacket.ip("10.0.1.1")).array();
    }
}
