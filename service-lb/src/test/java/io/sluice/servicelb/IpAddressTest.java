package io.sluice.servicelb;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IpAddressTest {

    @Example
    void parsesIpv4AndIpv6Literals() {
        IpAddress v4 = IpAddress.parse("10.96.0.1");
        IpAddress v6 = IpAddress.parse("FD00:10:96::1");

        assertThat(v4.family()).isEqualTo(IpFamily.IPV4);
        assertThat(v4.ipv4Bits()).isEqualTo(0x0A600001);
        assertThat(v6.family()).isEqualTo(IpFamily.IPV6);
        assertThat(v6.toBytes()).hasSize(16);
        assertThat(IpAddress.parse("::ffff:0:0:1").family()).isEqualTo(IpFamily.IPV6);
        assertThat(IpAddress.parse("64:ff9b::192.0.2.33")).isEqualTo(IpAddress.parse("64:ff9b::c000:221"));
    }

    @Example
    void writesCanonicalText() {
        assertThat(IpAddress.parse("010.001.000.255")).hasToString("10.1.0.255");
        assertThat(IpAddress.parse("2001:0DB8:0:0:0:0:0:1")).hasToString("2001:db8::1");
        assertThat(IpAddress.parse("::")).hasToString("::");
        assertThat(IpAddress.parse("0:0:0:0:0:0:0:1")).hasToString("::1");
        assertThat(IpAddress.parse("fe80:0:0:0:0:0:0:0")).hasToString("fe80::");
        // The longest run of zeros is shortened; of two equal runs, the first; a single zero group never.
        assertThat(IpAddress.parse("2001:db8:0:0:1:0:0:1")).hasToString("2001:db8::1:0:0:1");
        assertThat(IpAddress.parse("2001:0:0:1:0:0:0:1")).hasToString("2001:0:0:1::1");
        assertThat(IpAddress.parse("2001:db8:0:1:1:1:1:1")).hasToString("2001:db8:0:1:1:1:1:1");
    }

    @Example
    void refusesWhatIsNotALiteral() {
        List<String> bad = List.of("", "10.0.0", "10.1", "1", "256.0.0.1", "10.0.0.1 ", " 10.0.0.1", "10.0.0.-1",
                "10.0.0.1/32", "1234.0.0.1", "node-a.example", "localhost", "1::2::3", "1:2:3:4:5:6:7:8:9",
                "1:2:3:4:5:6:7", ":1::", "12345::", "[::1]", "fe80::1%eth0", "::g", "1:2:3:4:5:6:7::8",
                "::1.2.3", "1.2.3.4::");
        for (String text : bad) {
            assertThatThrownBy(() -> IpAddress.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> IpAddress.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Example
    void refusesIpv4MappedIpv6BecauseItsFamilyIsAmbiguous() {
        assertThatThrownBy(() -> IpAddress.parse("::ffff:10.0.0.1")).hasMessageContaining("IPv4-mapped");
        assertThatThrownBy(() -> IpAddress.parse("::ffff:a00:1")).hasMessageContaining("IPv4-mapped");
    }

    @Provide
    Arbitrary<IpAddress> addresses() {
        return Arbitraries.oneOf(
                Arbitraries.integers().map(IpAddress::ipv4),
                Arbitraries.bytes().array(byte[].class).ofSize(16).map(IpAddress::fromBytes)
                        .filter(a -> !(a.high() == 0 && (a.low() >>> 32) == 0xFFFFL)),
                // Addresses with zero runs exercise the '::' shortening.
                Arbitraries.of(0L, 1L, 0xFFFFL, 0x20010DB8_00000000L)
                        .flatMap(h -> Arbitraries.of(0L, 1L, 0x1_0000L, -1L).map(l -> IpAddress.ipv6(h, l)))
                        .filter(a -> !(a.high() == 0 && (a.low() >>> 32) == 0xFFFFL)));
    }

    @Property(tries = 300)
    void textRoundTripsAndAgreesWithTheJdk(@ForAll("addresses") IpAddress address) throws Exception {
        String text = address.toString();

        assertThat(IpAddress.parse(text)).isEqualTo(address);
        assertThat(IpAddress.fromBytes(address.toBytes())).isEqualTo(address);
        InetAddress jdk = InetAddress.ofLiteral(text);
        assertThat(jdk).isInstanceOf(address.isIpv4() ? Inet4Address.class : Inet6Address.class);
        assertThat(jdk.getAddress()).isEqualTo(address.toBytes());
        assertThat(address.toInetAddress()).isEqualTo(jdk);
    }

    @Property(tries = 300)
    void orderIsIpv4FirstThenUnsignedNumeric(@ForAll("addresses") IpAddress a, @ForAll("addresses") IpAddress b) {
        int expected = a.family() != b.family()
                ? a.family().compareTo(b.family())
                : Arrays.compareUnsigned(a.toBytes(), b.toBytes());

        assertThat(Integer.signum(a.compareTo(b))).isEqualTo(Integer.signum(expected));
    }

    @Example
    void ipv4HasOnly32Bits() {
        assertThatThrownBy(() -> new IpAddress(IpFamily.IPV4, 0, 1L << 32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IpAddress(IpFamily.IPV4, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IpAddress.parse("fd00::1").ipv4Bits()).isInstanceOf(IllegalStateException.class);
    }
}
