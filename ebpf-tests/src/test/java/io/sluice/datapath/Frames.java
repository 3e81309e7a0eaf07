package io.sluice.datapath;

import io.sluice.fixtures.TestPacket;
import io.sluice.maps.Ipv4Frame;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Ethernet/IPv4 frames for {@code BPF_PROG_TEST_RUN} beyond {@link TestPacket}'s SYNs and datagrams: TCP segments
 * with any flags and sequence numbers, IPv4 options, and a parser that checks the IPv4, TCP, UDP and ICMP
 * checksums of what a program sent back.
 */
final class Frames {
    static final byte[] CLIENT_MAC = {2, 0, 0, 0, 0, 1};
    static final byte[] NODE_MAC = {2, 0, 0, 0, 0, 2};
    static final int ETH_LEN = Ipv4Frame.ETH_LEN;
    static final int TCP_FIN = 0x01;
    static final int TCP_SYN = 0x02;
    static final int TCP_RST = 0x04;
    static final int TCP_PSH = 0x08;
    static final int TCP_ACK = 0x10;
    static final int ICMP = Ipv4Frame.ICMP;

    private Frames() {
    }

    /** A TCP segment from {@link #CLIENT_MAC} to {@link #NODE_MAC}, valid checksums. */
    static byte[] tcp(String source, int sourcePort, String destination, int destinationPort, int flags, long seq,
            long ack, byte[] payload) {
        ByteBuffer l4 = ByteBuffer.allocate(20 + payload.length);
        l4.putShort((short) sourcePort).putShort((short) destinationPort).putInt((int) seq).putInt((int) ack)
                .put((byte) 0x50).put((byte) flags).putShort((short) 64240).putShort((short) 0).putShort((short) 0)
                .put(payload);
        return frame(TestPacket.ip(source), TestPacket.ip(destination), TestPacket.TCP, new byte[0], l4.array());
    }

    /** A UDP datagram with {@code ipOptions} (a multiple of 4 bytes) in its IPv4 header. */
    static byte[] udpWithOptions(String source, int sourcePort, String destination, int destinationPort,
            byte[] payload, int optionBytes) {
        ByteBuffer l4 = ByteBuffer.allocate(8 + payload.length);
        l4.putShort((short) sourcePort).putShort((short) destinationPort).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        byte[] options = new byte[optionBytes];
        Arrays.fill(options, (byte) 1); // NOP options
        return frame(TestPacket.ip(source), TestPacket.ip(destination), TestPacket.UDP, options, l4.array());
    }

    /** Ethernet + IPv4 (with options) + the transport bytes, whose checksum field is filled in here. */
    static byte[] frame(int source, int destination, int protocol, byte[] options, byte[] l4) {
        return Ipv4Frame.build(NODE_MAC, CLIENT_MAC, 0x1234, source, destination, protocol, options, l4);
    }

    /**
     * An IPv4 frame as a program left it, after checking its IPv4 checksum and its TCP, UDP (unless 0) or ICMP
     * checksum.
     */
    record Parsed(byte[] dstMac, byte[] srcMac, int source, int destination, int protocol, int ttl, byte[] l4) {
        static Parsed of(byte[] frame) {
            Ipv4Frame.requireIpv4(frame);
            ByteBuffer b = ByteBuffer.wrap(frame);
            int ipLen = (frame[ETH_LEN] & 0x0f) * 4;
            int total = b.getShort(ETH_LEN + 2) & 0xffff;
            if (ETH_LEN + total != frame.length) {
                throw new IllegalArgumentException("IPv4 total length " + total + " but " + (frame.length - ETH_LEN)
                        + " bytes after Ethernet");
            }
            if (Ipv4Frame.checksum(frame, ETH_LEN, ipLen, 0) != 0) {
                throw new IllegalArgumentException("bad IPv4 header checksum");
            }
            int protocol = frame[ETH_LEN + 9] & 0xff;
            int source = b.getInt(ETH_LEN + 12);
            int destination = b.getInt(ETH_LEN + 16);
            byte[] l4 = Arrays.copyOfRange(frame, ETH_LEN + ipLen, frame.length);
            boolean udpWithout = protocol == TestPacket.UDP && l4[6] == 0 && l4[7] == 0;
            if (!udpWithout && Ipv4Frame.transportChecksum(l4, 0, l4.length, source, destination, protocol) != 0) {
                throw new IllegalArgumentException("bad checksum of protocol " + protocol);
            }
            return new Parsed(Arrays.copyOfRange(frame, 0, 6), Arrays.copyOfRange(frame, 6, 12), source, destination,
                    protocol, frame[ETH_LEN + 8] & 0xff, l4);
        }

        int sourcePort() {
            return u16(l4, 0);
        }

        int destinationPort() {
            return u16(l4, 2);
        }

        int tcpFlags() {
            return l4[13] & 0xff;
        }

        long seq() {
            return ByteBuffer.wrap(l4).getInt(4) & 0xffffffffL;
        }

        long ack() {
            return ByteBuffer.wrap(l4).getInt(8) & 0xffffffffL;
        }

        String sourceText() {
            return TestPacket.ipText(source);
        }

        String destinationText() {
            return TestPacket.ipText(destination);
        }
    }

    static int u16(byte[] data, int offset) {
        return (data[offset] & 0xff) << 8 | (data[offset + 1] & 0xff);
    }
}
