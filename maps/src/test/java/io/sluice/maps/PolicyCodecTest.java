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
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The policy structs round-trip, keys lie on the wire as the C structs have them, and bad values are refused. */
class PolicyCodecTest {

    @Property
    void policyKeysRoundTrip(@ForAll("policyKeys") Policy4Key key) {
        assertThat(roundTrip(Policy4Key.CODEC, key)).isEqualTo(key);
    }

    @Property
    void ipcacheKeysRoundTrip(@ForAll int address, @ForAll @IntRange(min = 0, max = 32) int length) {
        int masked = length == 0 ? 0 : address & (-1 << (32 - length));
        Ipcache4Key key = new Ipcache4Key(new Ipv4(masked), length);
        assertThat(roundTrip(Ipcache4Key.CODEC, key)).isEqualTo(key);
    }

    @Property
    void endpointsFlowsAndEventsRoundTrip(@ForAll int identity, @ForAll int ifindex,
            @ForAll @IntRange(max = 0xffff) int endpointId, @ForAll @IntRange(max = 3) int flags, @ForAll int a,
            @ForAll int b, @ForAll @IntRange(max = 0xffff) int p1, @ForAll @IntRange(max = 0xffff) int p2,
            @ForAll @IntRange(max = 255) int proto, @ForAll long time) {
        Ep4Info info = new Ep4Info(identity, ifindex, endpointId, flags);
        assertThat(roundTrip(Ep4Info.CODEC, info)).isEqualTo(info);
        Pct4Key flow = new Pct4Key(new Ipv4(a), new Ipv4(b), p1, p2, proto);
        assertThat(roundTrip(Pct4Key.CODEC, flow)).isEqualTo(flow);
        Pct4Entry entry = new Pct4Entry(identity, ifindex, flags);
        assertThat(roundTrip(Pct4Entry.CODEC, entry)).isEqualTo(entry);
        Frag4Key frag = new Frag4Key(new Ipv4(a), new Ipv4(b), p1, proto);
        assertThat(roundTrip(Frag4Key.CODEC, frag)).isEqualTo(frag);
        assertThat(roundTrip(Frag4Ports.CODEC, new Frag4Ports(p1, p2))).isEqualTo(new Frag4Ports(p1, p2));
        DropEvent event = new DropEvent(DropReason.values()[flags], PolicyDirection.values()[flags & 1], proto, ifindex,
                time, new Ipv4(a), new Ipv4(b), p1, p2, identity, ~identity, endpointId, PolicyConstants.POLICY_VERDICT_DENY);
        assertThat(roundTrip(DropEvent.CODEC, event)).isEqualTo(event);
    }

    @Test
    void aPolicyKeyIsBigEndianWithZeroPadsAndItsPortBits() {
        Policy4Key key = Policy4Key.portBlock(0x0102, PolicyDirection.EGRESS, 0x0a0b0c0d, 6, 0x1f00, 8);
        assertThat(bytes(Policy4Key.CODEC, key)).containsExactly(0x01, 0x02, 1, 8, 0x0a, 0x0b, 0x0c, 0x0d, 6, 0, 0x1f, 0x00);
        Policy4Key any = Policy4Key.anyProtocol(0x0102, PolicyDirection.INGRESS, 0x0a0b0c0d);
        assertThat(bytes(Policy4Key.CODEC, any)).containsExactly(0x01, 0x02, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0, 0, 0);
    }

    @Test
    void aPeerKeyAndAHostKeyAreBigEndianAndPeerSummariesRoundTripTheirBits() {
        assertThat(bytes(Policy4PeerKey.CODEC, new Policy4PeerKey(0x0102, PolicyDirection.EGRESS, 0x0a0b0c0d)))
                .containsExactly(0x01, 0x02, 1, 0, 0x0a, 0x0b, 0x0c, 0x0d);
        assertThat(bytes(Ipcache4HostKey.CODEC, new Ipcache4HostKey(Ipv4.parse("10.1.2.3")))).containsExactly(10, 1, 2, 3);
        Policy4Peer peer = new Policy4Peer(1 << 16 | 1, 1 << 8, 1 << 3, PolicyConstants.POLICY4_PEER_F_ANY_PROTOCOL);
        assertThat(roundTrip(Policy4Peer.CODEC, peer)).isEqualTo(peer);
        assertThat(Policy4Peer.ofBits(peer.bits())).isEqualTo(peer);
        assertThatThrownBy(() -> new Policy4Peer(1 << 17, 0, 0, 0)).hasMessageContaining("policy4_peer");
    }

    @Test
    void anEntryWithPortsOfAnotherProtocolIsRefusedByThePeerSummary() {
        assertThatThrownBy(() -> Policy4Peer.bitOf(Policy4Key.portBlock(1, PolicyDirection.INGRESS, 5, 1, 0, 0)))
                .hasMessageContaining("policy4_key.protocol = 1");
    }

    @Test
    void coversComparesThePrefixBitsAsTheTrieDoes() {
        Policy4Key block = Policy4Key.portBlock(7, PolicyDirection.INGRESS, 300, 6, 8080, 15); // 8080-8081
        assertThat(block.covers(7, PolicyDirection.INGRESS, 300, 6, 8080)).isTrue();
        assertThat(block.covers(7, PolicyDirection.INGRESS, 300, 6, 8081)).isTrue();
        assertThat(block.covers(7, PolicyDirection.INGRESS, 300, 6, 8082)).isFalse();
        assertThat(block.covers(7, PolicyDirection.INGRESS, 300, 17, 8080)).as("other protocol").isFalse();
        assertThat(block.covers(7, PolicyDirection.EGRESS, 300, 6, 8080)).as("other direction").isFalse();
        assertThat(block.covers(8, PolicyDirection.INGRESS, 300, 6, 8080)).as("other endpoint").isFalse();
        Policy4Key any = Policy4Key.anyProtocol(7, PolicyDirection.INGRESS, 0);
        assertThat(any.covers(7, PolicyDirection.INGRESS, 0, 1, 0)).isTrue();
        assertThat(any.covers(7, PolicyDirection.INGRESS, 300, 1, 0)).as("identity bits always count").isFalse();
        Policy4Key allPorts = Policy4Key.portBlock(7, PolicyDirection.INGRESS, 0, 17, 0, 0);
        assertThat(allPorts.covers(7, PolicyDirection.INGRESS, 0, 17, 65535)).isTrue();
        assertThat(allPorts.covers(7, PolicyDirection.INGRESS, 0, 6, 65535)).isFalse();
    }

    @Test
    void badKeysAreRefusedNamingTheField() {
        assertThatThrownBy(() -> Policy4Key.portBlock(1, PolicyDirection.INGRESS, 5, 6, 81, 15))
                .hasMessageContaining("policy4_key").hasMessageContaining("port 81");
        assertThatThrownBy(() -> new Policy4Key(70, 1, PolicyDirection.INGRESS, 5, 6, 0))
                .hasMessageContaining("policy4_key.prefixlen = 70");
        assertThatThrownBy(() -> new Policy4Key(64, 1, PolicyDirection.INGRESS, 5, 6, 0))
                .hasMessageContaining("every protocol");
        assertThatThrownBy(() -> new Ipcache4Key(Ipv4.parse("10.0.0.1"), 24)).hasMessageContaining("10.0.0.1/24");
        assertThatThrownBy(() -> new Ep4Info(0, 0, 70000, 0)).hasMessageContaining("ep4_info.endpoint_id");
    }

    @Test
    void anEventOfAnotherKindIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(DropEvent.SIZE);
            seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 9);
            assertThatThrownBy(() -> DropEvent.CODEC.decode(seg)).hasMessageContaining("drop_event.kind = 9");
        }
    }

    @Provide
    Arbitrary<Policy4Key> policyKeys() {
        Arbitrary<Integer> endpoint = Arbitraries.integers().between(0, 0xffff);
        Arbitrary<PolicyDirection> direction = Arbitraries.of(PolicyDirection.class);
        Arbitrary<Integer> identity = Arbitraries.integers();
        Arbitrary<Policy4Key> any = Combinators.combine(endpoint, direction, identity).as(Policy4Key::anyProtocol);
        Arbitrary<Policy4Key> block = Combinators.combine(endpoint, direction, identity, Arbitraries.integers().between(1, 255),
                Arbitraries.integers().between(0, 0xffff), Arbitraries.integers().between(0, 16))
                .as((e, d, i, proto, port, len) -> Policy4Key.portBlock(e, d, i, proto, len == 0 ? 0 : port & (0xffff << (16 - len)) & 0xffff, len));
        return Arbitraries.oneOf(any, block);
    }

    private static <T> T roundTrip(StructCodec<T> codec, T value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(codec.layout());
            codec.encode(value, seg);
            return codec.decode(seg);
        }
    }

    private static <T> byte[] bytes(StructCodec<T> codec, T value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(codec.layout());
            codec.encode(value, seg);
            return seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }
}
