package io.sluice.servicelb;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IpCidrTest {

    @Example
    void containsTheAddressesOfItsPrefixOnly() {
        IpCidr v4 = IpCidr.parse("192.168.1.0/24");
        IpCidr v6 = IpCidr.parse("fd00:1::/64");

        assertThat(v4.contains(IpAddress.parse("192.168.1.200"))).isTrue();
        assertThat(v4.contains(IpAddress.parse("192.168.2.1"))).isFalse();
        assertThat(v4.contains(IpAddress.parse("fd00:1::c0a8:101"))).isFalse();
        assertThat(v6.contains(IpAddress.parse("fd00:1::10"))).isTrue();
        assertThat(v6.contains(IpAddress.parse("fd00:2::10"))).isFalse();
        assertThat(IpCidr.parse("0.0.0.0/0").contains(IpAddress.parse("255.255.255.255"))).isTrue();
        assertThat(IpCidr.parse("::/0").contains(IpAddress.parse("10.0.0.1"))).isFalse();
    }

    @Example
    void clearsHostBitsLikeKubeProxy() {
        assertThat(IpCidr.parse("10.1.2.3/8")).hasToString("10.0.0.0/8");
        assertThat(IpCidr.parse("fd00::1/16")).hasToString("fd00::/16");
        assertThatThrownBy(() -> new IpCidr(IpAddress.parse("10.1.0.0"), 8)).hasMessageContaining("host bits");
    }

    @Example
    void refusesMalformedPrefixes() {
        for (String text : List.of("10.0.0.0", "10.0.0.0/33", "fd00::/129", "10.0.0.0/-1", "10.0.0.0/", "x/8",
                "10.0.0.0/8/8")) {
            assertThatThrownBy(() -> IpCidr.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Property(tries = 300)
    void anAddressIsInsideExactlyWhenItsLeadingBitsMatch(@ForAll long high, @ForAll long low,
                                                          @ForAll @IntRange(max = 128) int length,
                                                          @ForAll @IntRange(max = 127) int flippedBit) {
        IpAddress address = IpAddress.ipv6(high, low);
        IpCidr cidr = IpCidr.parse(address + "/" + length);
        IpAddress flipped = flippedBit < 64
                ? IpAddress.ipv6(high ^ (1L << (63 - flippedBit)), low)
                : IpAddress.ipv6(high, low ^ (1L << (127 - flippedBit)));

        assertThat(cidr.contains(address)).isTrue();
        assertThat(cidr.contains(flipped)).isEqualTo(flippedBit >= length);
    }
}
