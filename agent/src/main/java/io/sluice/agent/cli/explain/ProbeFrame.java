package io.sluice.agent.cli.explain;

import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Ipv4Frame;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames {@code sluice explain} hands to the programs, and what it reads back. A probe is the first packet of
 * a flow as a pod sends it: Ethernet, IPv4 without options (DF, TTL 64), then a TCP SYN or an empty UDP datagram,
 * with valid checksums. Parsing accepts what a program may answer with: TCP, UDP or ICMP.
 * <pre>
 *  0         14            34                   54 (TCP) / 42 (UDP)
 *  +---------+-------------+--------------------+
 *  | Ethernet| IPv4 (20 B) | TCP (20 B) / UDP (8 B)
 *  +---------+-------------+--------------------+
 * </pre>
 */
public final class ProbeFrame {
    private static final int ETH_LEN = Ipv4Frame.ETH_LEN;
    private static final int IP_LEN = Ipv4Frame.IPV4_LEN;
    private static final int TCP_LEN = 20;
    private static final int UDP_LEN = 8;
    private static final int ICMP = Ipv4Frame.ICMP;
    static final int TCP_FIN = 0x01;
    static final int TCP_SYN = 0x02;
    static final int TCP_RST = 0x04;
    static final int TCP_ACK = 0x10;

    private ProbeFrame() {
    }

    /** The first packet of a flow: a TCP SYN or a UDP datagram without payload. */
    public static byte[] build(Ipv4 source, int sourcePort, Ipv4 destination, int destinationPort, IpProtocol protocol) {
        ByteBuffer l4 = ByteBuffer.allocate(protocol == IpProtocol.TCP ? TCP_LEN : UDP_LEN);
        l4.putShort((short) sourcePort).putShort((short) destinationPort);
        if (protocol == IpProtocol.TCP) {
            l4.putInt(0x51ce0001).putInt(0).put((byte) 0x50).put((byte) TCP_SYN).putShort((short) 64240)
                    .putShort((short) 0).putShort((short) 0);
        } else {
            l4.putShort((short) UDP_LEN).putShort((short) 0);
        }
        // Locally administered MACs: the programs never look at them, except to swap them for an answer.
        return Ipv4Frame.build(new byte[] {0x02, 0x51, 0, 0, 0, 0x02}, new byte[] {0x02, 0x51, 0, 0, 0, 0x01}, 0x51ce,
                source.bits(), destination.bits(), protocol.number(), new byte[0], l4.array());
    }

    /**
     * An IPv4 packet as a program left it: addresses and protocol, ports for TCP and UDP, the TCP flags, the ICMP
     * type and code; {@code checksumsValid} tells whether the IPv4 header checksum holds.
     */
    public record Packet(Ipv4 source, Ipv4 destination, int protocol, int sourcePort, int destinationPort,
                         int tcpFlags, int icmpType, int icmpCode, boolean checksumsValid) {

        /** Whether this is a TCP segment with RST set. */
        public boolean isReset() {
            return protocol == IpProtocol.TCP.number() && (tcpFlags & TCP_RST) != 0;
        }

        /** Whether this is an ICMP destination unreachable / port unreachable. */
        public boolean isPortUnreachable() {
            return protocol == ICMP && icmpType == 3 && icmpCode == 3;
        }

        /** Whether this packet carries ports (TCP or UDP). */
        public boolean hasPorts() {
            return protocol == IpProtocol.TCP.number() || protocol == IpProtocol.UDP.number();
        }

        /** {@code TCP 10.0.1.2:50000 > 10.0.2.2:8080 [SYN]}, {@code ICMP 10.96.0.12 > 10.0.1.2 port unreachable}. */
        public String describe() {
            if (protocol == ICMP) {
                return "ICMP " + source + " > " + destination + (isPortUnreachable() ? " port unreachable"
                        : " type " + icmpType + " code " + icmpCode);
            }
            String name = protocol == IpProtocol.TCP.number() ? "TCP" : protocol == IpProtocol.UDP.number() ? "UDP"
                    : "protocol " + protocol;
            String text = name + " " + source + ":" + sourcePort + " > " + destination + ":" + destinationPort;
            return protocol == IpProtocol.TCP.number() ? text + " [" + String.join(",", flagNames(tcpFlags)) + "]" : text;
        }
    }

    private static List<String> flagNames(int flags) {
        List<String> names = new ArrayList<>();
        if ((flags & TCP_SYN) != 0) {
            names.add("SYN");
        }
        if ((flags & TCP_RST) != 0) {
            names.add("RST");
        }
        if ((flags & TCP_FIN) != 0) {
            names.add("FIN");
        }
        if ((flags & TCP_ACK) != 0) {
            names.add("ACK");
        }
        return names;
    }

    /** Reads an Ethernet/IPv4 frame; anything shorter or of another ethertype is refused with its length. */
    public static Packet parse(byte[] frame) {
        Ipv4Frame.requireIpv4(frame);
        ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.BIG_ENDIAN);
        int ihl = (frame[ETH_LEN] & 0x0f) * 4;
        int protocol = frame[ETH_LEN + 9] & 0xff;
        boolean ipValid = ihl >= IP_LEN && frame.length >= ETH_LEN + ihl && Ipv4Frame.checksum(frame, ETH_LEN, ihl, 0) == 0;
        Ipv4 source = new Ipv4(b.getInt(ETH_LEN + 12));
        Ipv4 destination = new Ipv4(b.getInt(ETH_LEN + 16));
        int l4 = ETH_LEN + ihl;
        int sport = 0;
        int dport = 0;
        int tcpFlags = 0;
        int type = 0;
        int code = 0;
        if ((protocol == 6 || protocol == 17) && frame.length >= l4 + 4) {
            sport = b.getShort(l4) & 0xffff;
            dport = b.getShort(l4 + 2) & 0xffff;
            if (protocol == 6 && frame.length >= l4 + 14) {
                tcpFlags = frame[l4 + 13] & 0xff;
            }
        } else if (protocol == ICMP && frame.length >= l4 + 2) {
            type = frame[l4] & 0xff;
            code = frame[l4 + 1] & 0xff;
        }
        return new Packet(source, destination, protocol, sport, dport, tcpFlags, type, code, ipValid);
    }
}
