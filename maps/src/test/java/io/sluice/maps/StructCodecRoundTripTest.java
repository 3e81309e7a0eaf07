package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** What user space writes is what it reads back, and network-order fields are big endian on the wire. */
class StructCodecRoundTripTest {

    @Property
    void lb4KeyRoundTrips(@ForAll("lb4Keys") Lb4Key key) {
        assertThat(roundTrip(Lb4Key.CODEC, key)).isEqualTo(key);
    }

    @Property
    void ct4KeyRoundTrips(@ForAll("ct4Keys") Ct4Key key) {
        assertThat(roundTrip(Ct4Key.CODEC, key)).isEqualTo(key);
    }

    @Property
    void ct4EntryRoundTrips(@ForAll("ipv4") Ipv4 address, @ForAll("ports") int port, @ForAll int backendId, @ForAll int serviceId) {
        Ct4Entry entry = new Ct4Entry(address, port, DatapathConstants.CT_F_SERVICE, backendId, serviceId);
        assertThat(roundTrip(Ct4Entry.CODEC, entry)).isEqualTo(entry);
    }

    @Property
    void sourceNatedCt4EntryRoundTrips(@ForAll("ipv4") Ipv4 backend, @ForAll("ports") int backendPort,
            @ForAll("ipv4") Ipv4 peer, @ForAll("ports") int peerPort, @ForAll int backendId) {
        Ct4Entry entry = new Ct4Entry(backend, backendPort, DatapathConstants.CT_F_SERVICE | DatapathConstants.CT_F_SNAT
                | DatapathConstants.CT_F_EXTERNAL, backendId, 3, peer, peerPort);
        assertThat(roundTrip(Ct4Entry.CODEC, entry)).isEqualTo(entry);
    }

    @Property
    void affinityAndNodeConfigRoundTrip(@ForAll long cookie, @ForAll("ipv4") Ipv4 client, @ForAll int serviceId,
            @ForAll long lastUsed, @ForAll int backendId, @ForAll("ipv4") Ipv4 hairpin) {
        Lb4AffinityKey byNetns = new Lb4AffinityKey(cookie, new Ipv4(0), serviceId);
        assertThat(roundTrip(Lb4AffinityKey.CODEC, byNetns)).isEqualTo(byNetns);
        Lb4AffinityKey byAddress = Lb4AffinityKey.ofAddress(client, serviceId);
        assertThat(roundTrip(Lb4AffinityKey.CODEC, byAddress)).isEqualTo(byAddress);
        Lb4AffinityValue value = new Lb4AffinityValue(lastUsed, backendId);
        assertThat(roundTrip(Lb4AffinityValue.CODEC, value)).isEqualTo(value);
        Node4Config config = new Node4Config(client, hairpin);
        assertThat(roundTrip(Node4Config.CODEC, config)).isEqualTo(config);
    }

    @Property
    void ipv6LayoutsRoundTrip(@ForAll long high, @ForAll long low, @ForAll("ports") int port, @ForAll long cookie,
            @ForAll("ipv4") Ipv4 v4) {
        Ipv6 address = new Ipv6(high, low);
        Lb6Key key = new Lb6Key(address, port, IpProtocol.UDP, LbScope.EXTERNAL);
        assertThat(roundTrip(Lb6Key.CODEC, key)).isEqualTo(key);
        Lb6Backend backend = new Lb6Backend(address, port, IpProtocol.TCP, DatapathConstants.LB_BACKEND_F_LOCAL);
        assertThat(roundTrip(Lb6Backend.CODEC, backend)).isEqualTo(backend);
        Lb6SockRevKey revKey = new Lb6SockRevKey(cookie, address, port);
        assertThat(roundTrip(Lb6SockRevKey.CODEC, revKey)).isEqualTo(revKey);
        Lb6SockRevValue revValue = new Lb6SockRevValue(address, port);
        assertThat(roundTrip(Lb6SockRevValue.CODEC, revValue)).isEqualTo(revValue);
        assertThat(Ipv6.parse(address.toString())).isEqualTo(address);
        assertThat(Ipv6.parse("::ffff:" + v4)).isEqualTo(Ipv6.mapped(v4));
    }

    @Property
    void sockDestroyKeyRoundTrips(@ForAll long high, @ForAll long low, @ForAll("ipv4") Ipv4 frontend,
            @ForAll("ipv4") Ipv4 backend, @ForAll("ports") int frontendPort, @ForAll("ports") int backendPort) {
        SockDestroyKey v6 = new SockDestroyKey(new Ipv6(high, low), frontendPort, new Ipv6(low, high), backendPort);
        assertThat(roundTrip(SockDestroyKey.CODEC, v6)).isEqualTo(v6);
        SockDestroyKey v4 = SockDestroyKey.ofIpv4(frontend, frontendPort, backend, backendPort);
        assertThat(roundTrip(SockDestroyKey.CODEC, v4)).isEqualTo(v4);
    }

    @Test
    void anIpv4SockDestroyKeyIsWrittenIpv4MappedInNetworkOrder() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(SockDestroyKey.CODEC.layout());
            SockDestroyKey.CODEC.encode(SockDestroyKey.ofIpv4(Ipv4.parse("10.96.0.10"), 53, Ipv4.parse("10.0.1.7"), 5353), seg);
            assertThat(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsExactly(
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 96, 0, 10,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 1, 7,
                    0, 53, 0x14, (byte) 0xe9);
        }
        assertThatThrownBy(() -> SockDestroyKey.ofIpv4(Ipv4.parse("10.96.0.10"), 65536, Ipv4.parse("10.0.1.7"), 1))
                .hasMessageContaining("sock_destroy_key.frontend_port = 65536");
    }

    @Test
    void anIpv6FrontendIsWrittenInNetworkOrder() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(Lb6Key.CODEC.layout());
            Lb6Key.CODEC.encode(new Lb6Key(Ipv6.parse("2001:db8::a"), 443, IpProtocol.TCP, LbScope.INTERNAL), seg);
            assertThat(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .containsExactly(0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 1, (byte) 0xbb, 6, 1);
        }
        assertThatThrownBy(() -> Ipv6.parse("10.0.0.1")).hasMessageContaining("not an IPv6 address: '10.0.0.1'");
        assertThatThrownBy(() -> Ipv6.parse("2001:db8::g")).hasMessageContaining("2001:db8::g");
    }

    @Test
    void theClientAddressOfAnAffinityKeyIsInNetworkOrderAfterTheCookie() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(Lb4AffinityKey.CODEC.layout());
            Lb4AffinityKey.CODEC.encode(Lb4AffinityKey.ofAddress(Ipv4.parse("198.18.0.7"), 5), seg);
            assertThat(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .containsExactly(0, 0, 0, 0, 0, 0, 0, 0, (byte) 198, 18, 0, 7, 5, 0, 0, 0);
        }
    }

    @Property
    void serviceAndBackendRoundTrip(@ForAll int serviceId, @ForAll("ports") int count, @ForAll("ipv4") Ipv4 address,
            @ForAll("ports") int port, @ForAll long cookie) {
        Lb4Service service = new Lb4Service(serviceId, count, DatapathConstants.LB_F_AFFINITY, 10800);
        assertThat(roundTrip(Lb4Service.CODEC, service)).isEqualTo(service);
        Lb4Backend backend = new Lb4Backend(address, port, IpProtocol.UDP, 0);
        assertThat(roundTrip(Lb4Backend.CODEC, backend)).isEqualTo(backend);
        Lb4SlotKey slot = new Lb4SlotKey(serviceId, count);
        assertThat(roundTrip(Lb4SlotKey.CODEC, slot)).isEqualTo(slot);
        Lb4SockRevKey revKey = new Lb4SockRevKey(cookie, address, port);
        assertThat(roundTrip(Lb4SockRevKey.CODEC, revKey)).isEqualTo(revKey);
        Lb4SockRevValue revValue = new Lb4SockRevValue(address, port);
        assertThat(roundTrip(Lb4SockRevValue.CODEC, revValue)).isEqualTo(revValue);
    }

    @Property
    void aPackedBackendIsItsStructsEightBytesAndUnpacksToItself(@ForAll("ipv4") Ipv4 address, @ForAll("ports") int port,
            @ForAll boolean udp, @ForAll("flags") int flags) {
        Lb4Backend backend = new Lb4Backend(address, port, udp ? IpProtocol.UDP : IpProtocol.TCP, flags);
        assertThat(backend.packed()).isNotZero();
        assertThat(Lb4Backend.unpacked(backend.packed())).isEqualTo(backend);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(Lb4Backend.CODEC.layout());
            Lb4Backend.CODEC.encode(backend, seg);
            assertThat(seg.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0))
                    .isEqualTo(backend.packed());
        }
    }

    @Provide
    Arbitrary<Integer> flags() {
        return Arbitraries.integers().between(0, 255);
    }

    @Test
    void addressAndPortAreWrittenInNetworkOrder() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(Lb4Key.CODEC.layout());
            Lb4Key.CODEC.encode(new Lb4Key(Ipv4.parse("10.96.0.10"), 53, IpProtocol.UDP, LbScope.INTERNAL), seg);
            assertThat(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .containsExactly(10, 96, 0, 10, 0, 53, 17, 1);
        }
    }

    @Test
    void valuesThatDoNotFitTheirFieldAreRefusedWithTheFieldName() {
        assertThatThrownBy(() -> new Lb4Key(Ipv4.parse("10.0.0.1"), 70000, IpProtocol.TCP, LbScope.INTERNAL))
                .hasMessageContaining("lb4_key.port").hasMessageContaining("70000");
        assertThatThrownBy(() -> new Lb4Service(1, 65536, 0, 0)).hasMessageContaining("lb4_service.backend_count");
        assertThatThrownBy(() -> Ipv4.parse("10.0.0.256")).hasMessageContaining("10.0.0.256");
        assertThatThrownBy(() -> Ipv4.parse("10.0.0")).hasMessageContaining("not an IPv4 address");
        assertThatThrownBy(() -> Lb4AffinityKey.ofNetns(0, 4)).hasMessageContaining("lb4_affinity_key.netns_cookie");
        assertThatThrownBy(() -> new Ct4Entry(Ipv4.parse("10.0.0.1"), 80, 1, 1, 1, Ipv4.parse("10.0.0.2"), 65536))
                .hasMessageContaining("ct4_entry.peer_port");
    }

    @Property
    void ipv4TextRoundTrips(@ForAll("ipv4") Ipv4 address) {
        assertThat(Ipv4.parse(address.toString())).isEqualTo(address);
        assertThat(Ipv4.of(address.toInetAddress())).isEqualTo(address);
    }

    private static <T> T roundTrip(StructCodec<T> codec, T value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(codec.layout());
            seg.fill((byte) 0x5a);
            codec.encode(value, seg);
            return codec.decode(seg);
        }
    }

    @Provide
    Arbitrary<Ipv4> ipv4() {
        return Arbitraries.integers().map(Ipv4::new);
    }

    @Provide
    Arbitrary<Integer> ports() {
        return Arbitraries.integers().between(0, 65535);
    }

    @Provide
    Arbitrary<Lb4Key> lb4Keys() {
        return Combinators.combine(ipv4(), ports(), Arbitraries.of(IpProtocol.class), Arbitraries.of(LbScope.class))
                .as(Lb4Key::new);
    }

    @Provide
    Arbitrary<Ct4Key> ct4Keys() {
        return Combinators.combine(ipv4(), ipv4(), ports(), ports(), Arbitraries.of(IpProtocol.class)).as(Ct4Key::new);
    }
}
