package io.sluice.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.agent.cli.explain.ProbeFrame;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The probe frames of {@code sluice explain}: what is built parses back, with checksums a receiver accepts. */
class ProbeFramePropertyTest {

    @Property
    void aProbeParsesBackWithValidChecksums(@ForAll int source, @ForAll @IntRange(min = 1, max = 65535) int sourcePort,
                                            @ForAll int destination, @ForAll @IntRange(min = 1, max = 65535) int destinationPort,
                                            @ForAll IpProtocol protocol) {
        byte[] frame = ProbeFrame.build(new Ipv4(source), sourcePort, new Ipv4(destination), destinationPort, protocol);

        ProbeFrame.Packet p = ProbeFrame.parse(frame);
        assertThat(p.source()).isEqualTo(new Ipv4(source));
        assertThat(p.destination()).isEqualTo(new Ipv4(destination));
        assertThat(p.protocol()).isEqualTo(protocol.number());
        assertThat(p.sourcePort()).isEqualTo(sourcePort);
        assertThat(p.destinationPort()).isEqualTo(destinationPort);
        assertThat(p.checksumsValid()).isTrue();
        assertThat(transportChecksumHolds(frame)).as("TCP/UDP checksum over the pseudo-header").isTrue();
        if (protocol == IpProtocol.TCP) {
            assertThat(p.describe()).endsWith("[SYN]");
            assertThat(p.isReset()).isFalse();
        }
    }

    /** RFC 1071: the one's complement sum over pseudo-header and segment, checksum included, is all ones. */
    private static boolean transportChecksumHolds(byte[] frame) {
        int l4 = 14 + 20;
        int length = frame.length - l4;
        long sum = 0;
        for (int i = 14 + 12; i < 14 + 20; i += 2) {
            sum += word(frame, i); // source and destination address
        }
        sum += frame[14 + 9] & 0xff;
        sum += length;
        for (int i = 0; i < length; i += 2) {
            sum += i + 1 < length ? word(frame, l4 + i) : (frame[l4 + i] & 0xff) << 8;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum == 0xffff;
    }

    private static int word(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    @Test
    void answersOfTheProgramsAreRecognised() {
        byte[] syn = ProbeFrame.build(Ipv4.parse("10.0.1.2"), 50000, Ipv4.parse("10.96.0.12"), 443, IpProtocol.TCP);
        syn[14 + 20 + 13] = 0x14; // what refuse_tcp answers: RST|ACK
        assertThat(ProbeFrame.parse(syn).isReset()).isTrue();
        assertThat(ProbeFrame.parse(syn).describe()).isEqualTo("TCP 10.0.1.2:50000 > 10.96.0.12:443 [RST,ACK]");

        byte[] udp = ProbeFrame.build(Ipv4.parse("10.0.1.2"), 50000, Ipv4.parse("10.96.0.12"), 53, IpProtocol.UDP);
        udp[14 + 9] = 1; // ICMP
        udp[14 + 20] = 3;
        udp[14 + 21] = 3;
        ProbeFrame.Packet icmp = ProbeFrame.parse(udp);
        assertThat(icmp.isPortUnreachable()).isTrue();
        assertThat(icmp.hasPorts()).isFalse();
        assertThat(icmp.describe()).isEqualTo("ICMP 10.0.1.2 > 10.96.0.12 port unreachable");
        assertThat(icmp.checksumsValid()).as("the protocol byte changed under the header checksum").isFalse();
    }

    @Test
    void aFrameThatIsNotIpv4IsRefusedWithItsLength() {
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertThatThrownBy(() -> ProbeFrame.parse(arp)).hasMessage("not an Ethernet/IPv4 frame (42 bytes)");
        assertThatThrownBy(() -> ProbeFrame.parse(new byte[20])).hasMessage("not an Ethernet/IPv4 frame (20 bytes)");
    }
}
