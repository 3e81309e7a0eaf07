package io.sluice.servicelb;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The dotted-quad reader, comparisons and equality that are written out by hand for speed under C1 behave as the
 * straightforward versions they replaced: the same addresses and messages, the same order, equality that agrees
 * with every field and with the hash code.
 */
class HandWrittenOrderPropertyTest {

    /** The dotted-quad reader as it was: a split on dots, then each part checked in order. */
    private static long referenceIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address (IPv4 needs four dotted numbers)");
        }
        long value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address (" + octet + " > 255)");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    @Property(tries = 2000)
    void dottedQuadsParseAndFailAsWithASplit(@ForAll("dottedText") String text) {
        String expected;
        try {
            expected = IpAddress.ipv4((int) referenceIpv4(text)).toString();
        } catch (IllegalArgumentException e) {
            expected = "refused: " + e.getMessage();
        }
        String actual;
        try {
            actual = IpAddress.parse(text).toString();
        } catch (IllegalArgumentException e) {
            actual = "refused: " + e.getMessage();
        }
        assertThat(actual).as(text).isEqualTo(expected);
    }

    @Property(tries = 500)
    void everyIpv4AddressReadsBackFromItsText(@ForAll int bits) {
        IpAddress address = IpAddress.ipv4(bits);
        assertThat(IpAddress.parse(address.toString())).isEqualTo(address).hasSameHashCodeAs(address);
    }

    private static final Comparator<ServiceBackend> BACKEND_ORDER = Comparator.comparing(ServiceBackend::address)
            .thenComparingInt(ServiceBackend::port)
            .thenComparing(ServiceBackend::protocol)
            .thenComparing(ServiceBackend::nodeName)
            .thenComparing(ServiceBackend::zone)
            .thenComparing(ServiceBackend::local)
            .thenComparing(ServiceBackend::terminating);

    @Property(tries = 2000)
    void backendsOrderAndCompareByEveryField(@ForAll("backends") ServiceBackend a, @ForAll("backends") ServiceBackend b) {
        assertThat(Integer.signum(a.compareTo(b))).isEqualTo(Integer.signum(BACKEND_ORDER.compare(a, b)));
        boolean sameFields = a.address().equals(b.address()) && a.port() == b.port() && a.protocol() == b.protocol()
                && a.nodeName().equals(b.nodeName()) && a.zone().equals(b.zone()) && a.local() == b.local()
                && a.terminating() == b.terminating();
        assertThat(a.equals(b)).isEqualTo(sameFields).isEqualTo(a.compareTo(b) == 0);
        ServiceBackend copy = new ServiceBackend(a.address(), a.port(), a.protocol(), a.nodeName(), a.zone(),
                a.local(), a.terminating());
        assertThat(copy).isEqualTo(a).hasSameHashCodeAs(a);
    }

    @Property(tries = 1000)
    void frontendAddressesAndServiceKeysOrderAndCompareByEveryField(
            @ForAll("backends") ServiceBackend a, @ForAll("backends") ServiceBackend b,
            @ForAll("names") String ns1, @ForAll("names") String n1, @ForAll("names") String ns2, @ForAll("names") String n2) {
        FrontendAddress fa = new FrontendAddress(a.address(), a.port(), a.protocol());
        FrontendAddress fb = new FrontendAddress(b.address(), b.port(), b.protocol());
        Comparator<FrontendAddress> addressOrder = Comparator.comparing(FrontendAddress::ip)
                .thenComparingInt(FrontendAddress::port).thenComparing(FrontendAddress::protocol);
        assertThat(Integer.signum(fa.compareTo(fb))).isEqualTo(Integer.signum(addressOrder.compare(fa, fb)));
        assertThat(fa.equals(fb)).isEqualTo(fa.compareTo(fb) == 0);
        assertThat(new FrontendAddress(fa.ip(), fa.port(), fa.protocol())).isEqualTo(fa).hasSameHashCodeAs(fa);

        ServiceKey ka = new ServiceKey(ns1, n1);
        ServiceKey kb = new ServiceKey(ns2, n2);
        Comparator<ServiceKey> keyOrder = Comparator.comparing(ServiceKey::namespace).thenComparing(ServiceKey::name);
        assertThat(Integer.signum(ka.compareTo(kb))).isEqualTo(Integer.signum(keyOrder.compare(ka, kb)));
        assertThat(ka.equals(kb)).isEqualTo(ns1.equals(ns2) && n1.equals(n2));
        assertThat(new ServiceKey(ns1, n1)).isEqualTo(ka).hasSameHashCodeAs(ka);

        ServicePortName pa = new ServicePortName(ka, a.zone());
        ServicePortName pb = new ServicePortName(kb, b.zone());
        Comparator<ServicePortName> portOrder = Comparator.comparing(ServicePortName::service)
                .thenComparing(ServicePortName::portName);
        assertThat(Integer.signum(pa.compareTo(pb))).isEqualTo(Integer.signum(portOrder.compare(pa, pb)));
        assertThat(pa.equals(pb)).isEqualTo(ka.equals(kb) && a.zone().equals(b.zone()));
        assertThat(new ServicePortName(ka, a.zone())).isEqualTo(pa).hasSameHashCodeAs(pa);
    }

    @Property(tries = 200)
    void frontendFlagSetsAreTheGivenFlagsAndUnmodifiable(@ForAll boolean localOnly, @ForAll boolean preserve) {
        Set<FrontendFlag> flags = EnumSet.noneOf(FrontendFlag.class);
        if (localOnly) {
            flags.add(FrontendFlag.LOCAL_ONLY);
        }
        if (preserve) {
            flags.add(FrontendFlag.PRESERVE_CLIENT_IP);
        }
        ServiceFrontend frontend = new ServiceFrontend(new ServicePortName(new ServiceKey("ns", "web"), ""),
                FrontendKind.NODE_PORT, new FrontendAddress(IpAddress.ipv4(1), 80, L4Protocol.TCP), LbAlgorithm.RANDOM,
                SessionAffinity.NONE, flags);
        assertThat(frontend.flags()).isEqualTo(flags);
        flags.add(FrontendFlag.SNAT_REMOTE_BACKENDS); // the frontend keeps its own copy
        assertThat(frontend.has(FrontendFlag.SNAT_REMOTE_BACKENDS)).isFalse();
        assertThatThrownBy(() -> frontend.flags().add(FrontendFlag.LOCAL_ONLY))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Provide
    Arbitrary<String> dottedText() {
        return Arbitraries.strings().withChars("0123456789.a ").ofMinLength(1).ofMaxLength(17);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of("a", "b", "ab", "web", "db");
    }

    @Provide
    Arbitrary<ServiceBackend> backends() {
        Arbitrary<IpAddress> addresses = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 3).map(IpAddress::ipv4),
                Arbitraries.longs().between(0, 2).map(low -> IpAddress.ipv6(0x20010db8L << 32, low)));
        return Combinators.combine(addresses, Arbitraries.integers().between(1, 3),
                        Arbitraries.of(L4Protocol.TCP, L4Protocol.UDP), Arbitraries.of("", "node-a", "node-b"),
                        Arbitraries.of("", "z1"), Arbitraries.of(false, true), Arbitraries.of(false, true))
                .as(ServiceBackend::new);
    }
}
