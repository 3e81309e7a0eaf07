package io.sluice.policy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IpPrefixTest {

    @Test
    void parsesCidrsAndClearsHostBits() {
        IpPrefix p = IpPrefix.parseCidr("10.1.2.3/8");
        assertThat(p).isEqualTo(IpPrefix.parseCidr("10.0.0.0/8"));
        assertThat(p.toString()).isEqualTo("10.0.0.0/8");
        assertThat(IpPrefix.parseCidr("0.0.0.0/0").contains(IpPrefix.parseAddress("255.255.255.255"))).isTrue();
        assertThat(IpPrefix.parseCidr("2001:db8::1/32")).isEqualTo(IpPrefix.parseCidr("2001:db8::/32"));
        assertThat(IpPrefix.parseAddress("2001:db8::1").length()).isEqualTo(128);
    }

    @Test
    void containmentRespectsLengthAndFamily() {
        IpPrefix net = IpPrefix.parseCidr("172.16.0.0/12");
        assertThat(net.contains(IpPrefix.parseCidr("172.16.5.0/24"))).isTrue();
        assertThat(net.contains(net)).isTrue();
        assertThat(IpPrefix.parseCidr("172.16.5.0/24").contains(net)).isFalse();
        assertThat(net.contains(IpPrefix.parseAddress("172.32.0.1"))).isFalse();
        assertThat(IpPrefix.parseCidr("::/0").contains(IpPrefix.parseAddress("10.0.0.1"))).isFalse();
        assertThat(IpPrefix.parseCidr("0.0.0.0/0").contains(IpPrefix.parseAddress("::1"))).isFalse();
        assertThat(IpPrefix.parseCidr("2001:db8::/64").contains(IpPrefix.parseAddress("2001:db8::ff:1"))).isTrue();
        assertThat(IpPrefix.parseCidr("2001:db8::/64").contains(IpPrefix.parseAddress("2001:db8:0:1::1"))).isFalse();
    }

    @Test
    void ipv6TextIsCanonical() {
        assertThat(IpPrefix.parseCidr("2001:0db8:0000:0000::/32")).hasToString("2001:db8::/32");
        assertThat(IpPrefix.parseAddress("2001:db8:0:1:0:0:0:5")).hasToString("2001:db8:0:1::5/128");
        assertThat(IpPrefix.parseAddress("2001:db8:0:1:1:0:0:0")).hasToString("2001:db8:0:1:1::/128");
        assertThat(IpPrefix.parseAddress("2001:db8:1:1:1:1:0:1")).as("a single zero group stays").hasToString("2001:db8:1:1:1:1:0:1/128");
        assertThat(IpPrefix.parseCidr("::/0")).hasToString("::/0");
        assertThat(IpPrefix.parseAddress("::1")).hasToString("::1/128");
        assertThat(IpPrefix.parseAddress("fe80::")).hasToString("fe80::/128");
    }

    @Test
    void addressBytesAreNetworkOrder() {
        assertThat(IpPrefix.parseAddress("10.1.2.3").addressBytes()).containsExactly(10, 1, 2, 3);
        byte[] v6 = IpPrefix.parseAddress("2001:db8::1").addressBytes();
        assertThat(v6).hasSize(16);
        assertThat(v6[0]).isEqualTo((byte) 0x20);
        assertThat(v6[15]).isEqualTo((byte) 1);
    }

    @Test
    void refusesMalformedText() {
        assertThatThrownBy(() -> IpPrefix.parseCidr("10.0.0.0")).hasMessageContaining("no /prefix-length");
        assertThatThrownBy(() -> IpPrefix.parseCidr("10.0.0.0/33")).hasMessageContaining("exceeds 32");
        assertThatThrownBy(() -> IpPrefix.parseCidr("10.0.0.0/-1")).hasMessageContaining("invalid prefix length");
        assertThatThrownBy(() -> IpPrefix.parseCidr("10.0.0/8")).hasMessageContaining("four dotted octets");
        assertThatThrownBy(() -> IpPrefix.parseCidr("10.0.0.256/8")).hasMessageContaining("> 255");
        assertThatThrownBy(() -> IpPrefix.parseCidr("010.0.0.0/8")).hasMessageContaining("bad octet");
        assertThatThrownBy(() -> IpPrefix.parseCidr("2001:db8::/129")).hasMessageContaining("exceeds 128");
        assertThatThrownBy(() -> IpPrefix.parseAddress("2001:zz8::1")).hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> IpPrefix.parseAddress("example.com")).hasMessageContaining("not an IPv4 address");
    }

    @Test
    void longestPrefixLookupPicksTheMostSpecificEntry() {
        var table = java.util.Map.of(
                IpPrefix.parseCidr("10.0.0.0/8"), 100,
                IpPrefix.parseCidr("10.1.0.0/16"), 200,
                IpPrefix.parseAddress("10.1.0.5"), 300);
        assertThat(IpCache.lookup(table, IpPrefix.parseAddress("10.1.0.5"))).isEqualTo(300);
        assertThat(IpCache.lookup(table, IpPrefix.parseAddress("10.1.0.6"))).isEqualTo(200);
        assertThat(IpCache.lookup(table, IpPrefix.parseAddress("10.2.0.6"))).isEqualTo(100);
        assertThat(IpCache.lookup(table, IpPrefix.parseAddress("11.0.0.1"))).isEqualTo(Identities.WORLD);
    }
}
