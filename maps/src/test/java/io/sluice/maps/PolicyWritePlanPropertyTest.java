package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
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
import org.junit.jupiter.api.Test;

/**
 * The write order of {@link PolicyWritePlan}: for random old and new states (nested ipcache prefixes that appear,
 * vanish and change identity; endpoints that appear, vanish, change id and flags; entries added and removed), after
 * every single write no packet that both states allow is denied, and the last write leaves exactly the new state.
 */
class PolicyWritePlanPropertyTest {
    private static final List<Ipv4> ENDPOINTS = List.of(Ipv4.parse("10.0.0.1"), Ipv4.parse("10.0.0.2"));
    private static final List<Ipv4> PEERS = List.of(Ipv4.parse("10.0.0.1"), Ipv4.parse("10.0.0.2"),
            Ipv4.parse("10.0.1.5"), Ipv4.parse("10.0.1.6"), Ipv4.parse("10.1.0.9"), Ipv4.parse("192.168.0.1"));
    private static final List<Ipcache4Key> PREFIXES = List.of(
            prefix("10.0.0.1", 32), prefix("10.0.0.2", 32), prefix("10.0.1.5", 32), prefix("10.0.1.0", 24),
            prefix("10.0.0.0", 16), prefix("10.0.0.0", 8), prefix("10.1.0.0", 16), prefix("0.0.0.0", 0));
    private static final List<Integer> IDENTITIES = List.of(PolicyConstants.IDENTITY_HOST, PolicyConstants.IDENTITY_WORLD,
            256, 257, 258, 1 << 24);
    private static final int[] PORTS = {80, 81, 82, 100, 443};

    @Property(tries = 400)
    void noWriteDropsWhatBothStatesAllow(@ForAll("states") PolicyDatapathState before,
                                         @ForAll("states") PolicyDatapathState after) {
        PolicyWritePlan plan = PolicyWritePlan.between(before, after);

        for (int done = 0; done <= plan.steps().size(); done++) {
            PolicyDatapathState seen = plan.applyTo(before, done);
            for (Ipv4 endpoint : ENDPOINTS) {
                for (PolicyDirection direction : PolicyDirection.values()) {
                    for (Ipv4 peer : PEERS) {
                        for (int protocol : new int[] {6, 17}) {
                            for (int port : PORTS) {
                                if (before.allows(endpoint, direction, peer, protocol, port)
                                        && after.allows(endpoint, direction, peer, protocol, port)) {
                                    assertThat(seen.allows(endpoint, direction, peer, protocol, port))
                                            .as("after %s of %s: %s %s %s proto %s port %s", done, plan.steps(), endpoint,
                                                    direction, peer, protocol, port)
                                            .isTrue();
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(plan.applyTo(before)).isEqualTo(after);
    }

    @Property(tries = 100)
    void thePlanEndsWithARevisionBumpAndIsEmptyBetweenEqualStates(@ForAll("states") PolicyDatapathState state,
                                                                 @ForAll("states") PolicyDatapathState other) {
        assertThat(PolicyWritePlan.between(state, state).isEmpty()).isTrue();
        PolicyWritePlan plan = PolicyWritePlan.between(state, other);
        if (!state.equals(other)) {
            assertThat(plan.steps()).last().isEqualTo(new PolicyWritePlan.BumpRevision());
            assertThat(plan.steps()).filteredOn(s -> s instanceof PolicyWritePlan.BumpRevision).hasSize(1);
        }
    }

    @Test
    void aPeerMovingToANewIdentityKeepsItsAccessWhileTheEntriesFollow() {
        Ipv4 pod = ENDPOINTS.get(0);
        Ipv4 peer = PEERS.get(2);
        Ep4Info enforcing = new Ep4Info(256, 5, 1, PolicyConstants.EP_F_INGRESS_ENFORCED);
        PolicyDatapathState before = new PolicyDatapathState(Map.of(Ipcache4Key.host(peer), 257), Map.of(pod, enforcing),
                Map.of(), Set.of(Policy4Key.portBlock(1, PolicyDirection.INGRESS, 257, 6, 80, 16)));
        PolicyDatapathState after = new PolicyDatapathState(Map.of(Ipcache4Key.host(peer), 258), Map.of(pod, enforcing),
                Map.of(), Set.of(Policy4Key.portBlock(1, PolicyDirection.INGRESS, 258, 6, 80, 16)));

        assertThat(PolicyWritePlan.between(before, after).steps()).containsExactly(
                new PolicyWritePlan.PutEntry(Policy4Key.portBlock(1, PolicyDirection.INGRESS, 258, 6, 80, 16)),
                new PolicyWritePlan.PutIpcache(Ipcache4Key.host(peer), 258),
                new PolicyWritePlan.RemoveEntry(Policy4Key.portBlock(1, PolicyDirection.INGRESS, 257, 6, 80, 16)),
                new PolicyWritePlan.BumpRevision());
    }

    @Provide
    Arbitrary<PolicyDatapathState> states() {
        Arbitrary<Map<Ipcache4Key, Integer>> ipcache = Arbitraries.subsetOf(PREFIXES)
                .flatMap(keys -> Arbitraries.of(IDENTITIES).list().ofSize(keys.size()).map(ids -> {
                    Map<Ipcache4Key, Integer> m = new HashMap<>();
                    List<Ipcache4Key> ordered = new ArrayList<>(keys);
                    for (int i = 0; i < ordered.size(); i++) {
                        m.put(ordered.get(i), ids.get(i));
                    }
                    return m;
                }));
        Arbitrary<Ep4Info> info = Combinators.combine(Arbitraries.of(IDENTITIES), Arbitraries.of(0, 5, 6),
                Arbitraries.integers().between(1, 3), Arbitraries.integers().between(0, 3)).as(Ep4Info::new);
        Arbitrary<Map<Ipv4, Ep4Info>> endpoints = Combinators.combine(info.injectNull(0.3), info.injectNull(0.3))
                .as((a, b) -> {
                    Map<Ipv4, Ep4Info> m = new HashMap<>();
                    if (a != null) m.put(ENDPOINTS.get(0), a);
                    if (b != null) m.put(ENDPOINTS.get(1), b);
                    return m;
                });
        Arbitrary<Map<Integer, Ipv4>> interfaces = Combinators.combine(Arbitraries.of(ENDPOINTS).injectNull(0.4),
                Arbitraries.of(ENDPOINTS).injectNull(0.4)).as((a, b) -> {
                    Map<Integer, Ipv4> m = new HashMap<>();
                    if (a != null) m.put(5, a);
                    if (b != null) m.put(6, b);
                    return m;
                });
        Arbitrary<Set<Policy4Key>> entries = Arbitraries.subsetOf(entryPool()).ofMaxSize(14).map(HashSet::new);
        return Combinators.combine(ipcache, endpoints, interfaces, entries).as(PolicyDatapathState::new);
    }

    private static List<Policy4Key> entryPool() {
        List<Policy4Key> pool = new ArrayList<>();
        for (int endpoint = 1; endpoint <= 3; endpoint++) {
            for (PolicyDirection direction : PolicyDirection.values()) {
                for (int identity : new int[] {0, 2, 256, 257, 1 << 24}) {
                    pool.add(Policy4Key.anyProtocol(endpoint, direction, identity));
                    pool.add(Policy4Key.portBlock(endpoint, direction, identity, 6, 80, 16));
                    pool.add(Policy4Key.portBlock(endpoint, direction, identity, 6, 80, 15));
                    pool.add(Policy4Key.portBlock(endpoint, direction, identity, 17, 64, 10));
                    pool.add(Policy4Key.portBlock(endpoint, direction, identity, 17, 0, 0));
                }
            }
        }
        return pool;
    }

    private static Ipcache4Key prefix(String address, int length) {
        return new Ipcache4Key(Ipv4.parse(address), length);
    }
}
