package io.sluice.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** CIDR parsing over all IPv4 networks and prefix lengths. */
class CidrPropertyTest {

    private static byte[] bytes(int address) {
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }

    private static String dotted(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    @Property
    void aNetworkWithoutHostBitsParsesToItsAddressAndPrefix(@ForAll int address, @ForAll @IntRange(max = 32) int prefix)
            throws Exception {
        int network = address & mask(prefix);

        Cidr cidr = Cidr.parse(dotted(network) + "/" + prefix);

        assertThat(cidr.network()).isEqualTo(InetAddress.getByAddress(bytes(network)));
        assertThat(cidr.prefixLength()).isEqualTo(prefix);
        assertThat(Cidr.parse(cidr.toString())).isEqualTo(cidr);
    }

    @Property
    void anyHostBitSetIsRefused(@ForAll int address, @ForAll @IntRange(max = 31) int prefix,
                                @ForAll @IntRange(max = 31) int hostBit) {
        int bit = 1 << (hostBit % (32 - prefix));
        int withHostBit = (address & mask(prefix)) | bit;

        assertThatThrownBy(() -> Cidr.parse(dotted(withHostBit) + "/" + prefix))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host bits");
    }

    @Property
    void anOctetAbove255IsRefused(@ForAll @IntRange(min = 256, max = 999) int octet,
                                  @ForAll @IntRange(max = 3) int position) {
        String[] parts = {"10", "1", "2", "0"};
        parts[position] = Integer.toString(octet);

        assertThatThrownBy(() -> Cidr.parse(String.join(".", parts) + "/32"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
