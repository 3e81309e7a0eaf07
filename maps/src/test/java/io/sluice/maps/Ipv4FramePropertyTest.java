package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The one frame builder of the agent's probes and the kernel tests: headers in place, checksums a receiver accepts. */
class Ipv4FramePropertyTest {
    private static final byte[] DST_MAC = {2, 0, 0, 0, 0, 2};
    private static final byte[] SRC_MAC = {2, 0, 0, 0, 0, 1};

    @Property
    void builtFramesCarryTheirHeadersAndValidChecksums(@ForAll int source, @ForAll int destination,
                                                       @ForAll("protocols") int protocol,
                                                       @ForAll @IntRange(min = 0, max = 10) int optionWords,
                                                       @ForAll @Size(min = 20, max = 64) byte[] l4,
                                                       @ForAll @IntRange(min = 0, max = 0xffff) int identification) {
        byte[] options = new byte[optionWords * 4];
        byte[] frame = Ipv4Frame.build(DST_MAC, SRC_MAC, identification, source, destination, protocol, options, l4);

        ByteBuffer b = ByteBuffer.wrap(frame);
        int ipLen = Ipv4Frame.IPV4_LEN + options.length;
        assertThat(frame).hasSize(Ipv4Frame.ETH_LEN + ipLen + l4.length);
        assertThat(b.getShort(12) & 0xffff).isEqualTo(Ipv4Frame.ETH_P_IP);
        assertThat(frame[14] & 0xff).isEqualTo(0x40 | ipLen / 4);
        assertThat(b.getShort(16) & 0xffff).as("total length").isEqualTo(ipLen + l4.length);
        assertThat(b.getShort(18) & 0xffff).isEqualTo(identification);
        assertThat(frame[23] & 0xff).isEqualTo(protocol);
        assertThat(b.getInt(26)).isEqualTo(source);
        assertThat(b.getInt(30)).isEqualTo(destination);
        assertThat(Ipv4Frame.checksum(frame, Ipv4Frame.ETH_LEN, ipLen, 0)).as("IPv4 header checksum").isZero();
        int l4Offset = Ipv4Frame.ETH_LEN + ipLen;
        assertThat(Ipv4Frame.transportChecksum(frame, l4Offset, l4.length, source, destination, protocol))
                .as("transport checksum").isZero();
        assertThat(independentTransportSum(frame, l4Offset, source, destination, protocol)).isEqualTo(0xffff);

        frame[frame.length - 1] ^= 1;
        assertThat(Ipv4Frame.transportChecksum(frame, l4Offset, l4.length, source, destination, protocol))
                .as("one flipped bit is seen").isNotZero();
    }

    @Provide
    Arbitrary<Integer> protocols() {
        return Arbitraries.of(6, 17, Ipv4Frame.ICMP);
    }

    /** RFC 1071 by the book, summing the pseudo-header words from the frame's own IPv4 header. */
    private static int independentTransportSum(byte[] frame, int l4Offset, int source, int destination, int protocol) {
        int length = frame.length - l4Offset;
        long sum = 0;
        if (protocol != Ipv4Frame.ICMP) {
            sum += (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol + length;
        }
        for (int i = 0; i < length; i += 2) {
            int hi = frame[l4Offset + i] & 0xff;
            int lo = i + 1 < length ? frame[l4Offset + i + 1] & 0xff : 0;
            sum += hi << 8 | lo;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    @Test
    void theRfc1071ExampleSums() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2, whose complement is 220d.
        byte[] data = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertThat(Ipv4Frame.checksum(data, 0, data.length, 0)).isEqualTo(0x220d);
    }

    @Test
    void aUdpChecksumOfZeroIsSentAsAllOnes() {
        byte[] l4 = {0x13, (byte) 0x88, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00};
        int source = 0x0a000102;
        int destination = 0x0a600001;
        // With the last word zero the sum S gives the checksum ~S; a last word of ~S makes the sum all ones,
        // so the checksum computes to 0.
        int filler = Ipv4Frame.transportChecksum(l4, 0, l4.length, source, destination, 17);
        l4[8] = (byte) (filler >>> 8);
        l4[9] = (byte) filler;
        assertThat(Ipv4Frame.transportChecksum(l4, 0, l4.length, source, destination, 17)).isZero();

        byte[] frame = Ipv4Frame.build(DST_MAC, SRC_MAC, 1, source, destination, 17, new byte[0], l4);
        assertThat(ByteBuffer.wrap(frame).getShort(14 + 20 + 6) & 0xffff).isEqualTo(0xffff);
    }

    @Test
    void optionsThatAreNotWholeWordsAreRefused() {
        assertThatThrownBy(() -> Ipv4Frame.build(DST_MAC, SRC_MAC, 1, 1, 2, 17, new byte[6], new byte[8]))
                .hasMessage("IPv4 options: 6 bytes, not a multiple of 4 up to 40");
    }
}
