package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The peer summaries follow the entries exactly: after any sequence of batches added and removed (entries added
 * twice, removed when absent), each peer's summary has a bit exactly when some present entry needs it, and what
 * {@link PolicyPeerIndex#changed()} hands out, applied to the summaries written so far, gives that. A summary lets the
 * programs find an entry exactly when the entry covers the packet: probing the listed port bits finds what
 * {@link Policy4Key#covers} says.
 */
class PolicyPeerIndexPropertyTest {

    @Property(tries = 300)
    void summariesAreExactlyWhatThePresentEntriesNeed(@ForAll("batches") List<Batch> batches) {
        PolicyPeerIndex index = new PolicyPeerIndex();
        Set<Policy4Key> present = new HashSet<>();
        Map<Policy4PeerKey, Policy4Peer> written = new HashMap<>();
        for (Batch batch : batches) {
            if (batch.add()) {
                index.added(batch.entries());
                present.addAll(batch.entries());
            } else {
                index.removed(batch.entries());
                batch.entries().forEach(present::remove);
            }
            Map<Policy4PeerKey, Policy4Peer> changed = index.changed();
            if (batch.add()) {
                changed.forEach((peer, summary) -> assertThat(summary).as("adding never deletes a peer").isNotNull());
            }
            changed.forEach((peer, summary) -> {
                if (summary == null) {
                    written.remove(peer);
                } else {
                    written.put(peer, summary);
                }
            });
            index.wrote(changed);
            assertThat(written).isEqualTo(expected(present));
            assertThat(index.changed()).isEmpty();
        }
    }

    @Property(tries = 300)
    void probingTheListedPortBitsFindsExactlyTheCoveringEntries(@ForAll("batches") List<Batch> batches,
            @ForAll("ports") int port, @ForAll("protocols") int protocol) {
        Set<Policy4Key> present = new HashSet<>();
        batches.stream().filter(Batch::add).forEach(b -> present.addAll(b.entries()));
        Map<Policy4PeerKey, Policy4Peer> summaries = expected(present);
        for (int identity : IDENTITIES) {
            Policy4PeerKey peer = new Policy4PeerKey(1, PolicyDirection.INGRESS, identity);
            boolean covered = present.stream().anyMatch(e -> e.covers(1, PolicyDirection.INGRESS, identity, protocol, port));
            assertThat(probe(summaries.get(peer), present, peer, protocol, port)).isEqualTo(covered);
        }
    }

    /** The programs' lookup of policy_lookup, in Java. */
    private static boolean probe(Policy4Peer summary, Set<Policy4Key> present, Policy4PeerKey peer, int protocol, int port) {
        if (summary == null) {
            return false;
        }
        if ((summary.flags() & PolicyConstants.POLICY4_PEER_F_ANY_PROTOCOL) != 0) {
            return true;
        }
        int lengths = switch (protocol) {
            case 6 -> summary.tcpPortBits();
            case 17 -> summary.udpPortBits();
            case 132 -> summary.sctpPortBits();
            default -> 0;
        };
        for (int bits = 16; bits >= 0; bits--) {
            if ((lengths & 1 << bits) != 0 && present.contains(Policy4Key.portBlock(peer.endpointId(), peer.direction(),
                    peer.identity(), protocol, bits == 0 ? 0 : port & (0xffff << (16 - bits)) & 0xffff, bits))) {
                return true;
            }
        }
        return false;
    }

    private static Map<Policy4PeerKey, Policy4Peer> expected(Set<Policy4Key> present) {
        Map<Policy4PeerKey, Long> bits = new HashMap<>();
        present.forEach(e -> bits.merge(Policy4PeerKey.of(e), 1L << Policy4Peer.bitOf(e), (a, b) -> a | b));
        Map<Policy4PeerKey, Policy4Peer> out = new HashMap<>();
        bits.forEach((peer, b) -> out.put(peer, Policy4Peer.ofBits(b)));
        return out;
    }

    private static final List<Integer> IDENTITIES = List.of(0, 256, 257);

    record Batch(boolean add, List<Policy4Key> entries) {
    }

    @Provide
    Arbitrary<List<Batch>> batches() {
        Arbitrary<Integer> identity = Arbitraries.of(IDENTITIES);
        Arbitrary<Integer> protocol = Arbitraries.of(6, 17, 132);
        Arbitrary<Integer> bits = Arbitraries.of(0, 7, 14, 15, 16);
        Arbitrary<Policy4Key> block = Combinators.combine(identity, protocol, ports(), bits)
                .as((id, proto, port, len) -> Policy4Key.portBlock(1, PolicyDirection.INGRESS, id, proto,
                        len == 0 ? 0 : port & (0xffff << (16 - len)) & 0xffff, len));
        Arbitrary<Policy4Key> any = identity.map(id -> Policy4Key.anyProtocol(1, PolicyDirection.INGRESS, id));
        Arbitrary<Policy4Key> entry = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, block), net.jqwik.api.Tuple.of(1, any));
        Arbitrary<Batch> batch = Combinators.combine(Arbitraries.of(true, false), entry.list().ofMaxSize(6)).as(Batch::new);
        return batch.list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<Integer> ports() {
        return Arbitraries.of(0, 80, 81, 443, 444, 8080, 8081, 65535);
    }

    @Provide
    Arbitrary<Integer> protocols() {
        return Arbitraries.of(1, 6, 17, 132);
    }
}
