package io.sluice.servicelb;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MaglevTableTest {

    private static final int M = MaglevTable.DEFAULT_SIZE;

    @Provide
    Arbitrary<List<ServiceBackend>> backends() {
        return backends(1, 100);
    }

    @Provide
    Arbitrary<List<ServiceBackend>> twoOrMoreBackends() {
        return backends(2, 100);
    }

    /** Distinct backends of one family, with random addresses and ports. */
    private static Arbitrary<List<ServiceBackend>> backends(int min, int max) {
        Arbitrary<ServiceBackend> v4 = Combinators.combine(
                        Arbitraries.integers(), Arbitraries.integers().between(1, 65535))
                .as((ip, port) -> backend(IpAddress.ipv4(ip), port));
        Arbitrary<ServiceBackend> v6 = Combinators.combine(
                        Arbitraries.longs(), Arbitraries.longs(), Arbitraries.integers().between(1, 65535))
                .as((high, low, port) -> backend(IpAddress.ipv6(high, low), port));
        return Arbitraries.oneOf(
                v4.list().uniqueElements(b -> b.address() + ":" + b.port()).ofMinSize(min).ofMaxSize(max),
                v6.list().uniqueElements(b -> b.address() + ":" + b.port()).ofMinSize(min).ofMaxSize(max));
    }

    private static ServiceBackend backend(IpAddress address, int port) {
        return new ServiceBackend(address, port, L4Protocol.TCP, "", "", false, false);
    }

    @Property(tries = 150)
    void everyBackendGetsAnEqualShareOfTheSlots(@ForAll("backends") List<ServiceBackend> backends) {
        MaglevTable table = MaglevTable.build(backends, M);
        int n = backends.size();

        int[] counts = table.slotCounts();
        assertThat(counts).hasSize(n);
        assertThat(java.util.Arrays.stream(counts).sum()).isEqualTo(M);
        // Taking turns gives each backend floor(M/N) or ceil(M/N) slots: well within a percent of M/N.
        for (int count : counts) {
            assertThat(count).isBetween(M / n, (M + n - 1) / n);
        }
    }

    /**
     * Maglev's disruption bound is statistical: two backends whose permutations share a skip and start close
     * together move more slots (measured at M=16381, N=2..100: median 1/N + 1.0%, 1 removal in 10,000 above
     * 1/N + 3%, worst seen 1/N + 5.4%). A fixed seed keeps these 80 varied cases reproducible instead of making CI
     * fail once in a few hundred runs; a broken hash or population moves far more and still fails here.
     */
    @Property(tries = 80, seed = "20261129")
    void removingOneOfNBackendsMovesAboutOneNthOfTheSlots(
            @ForAll("twoOrMoreBackends") List<ServiceBackend> backends, @ForAll @IntRange(max = 99) int pick) {
        int n = backends.size();
        ServiceBackend removed = backends.get(pick % n);
        List<ServiceBackend> remaining = new ArrayList<>(backends);
        remaining.remove(removed);

        MaglevTable before = MaglevTable.build(backends, M);
        MaglevTable after = MaglevTable.build(remaining, M);

        int moved = 0;
        int movedWithoutNeed = 0;
        for (int slot = 0; slot < M; slot++) {
            ServiceBackend was = before.backendAt(slot);
            ServiceBackend now = after.backendAt(slot);
            assertThat(now).isNotEqualTo(removed);
            if (!was.equals(now)) {
                moved++;
                if (!was.equals(removed)) {
                    movedWithoutNeed++;
                }
            }
        }
        double slack = 0.02;
        assertThat((double) moved / M).isLessThanOrEqualTo(1.0 / n + slack);
        assertThat((double) movedWithoutNeed / M).isLessThanOrEqualTo(slack);
    }

    @Property(tries = 60)
    void sameBackendsGiveTheSameTableWhateverTheirOrder(@ForAll("backends") List<ServiceBackend> backends,
                                                        @ForAll Random random) {
        List<ServiceBackend> shuffled = new ArrayList<>(backends);
        Collections.shuffle(shuffled, random);

        MaglevTable first = MaglevTable.build(backends, M);
        MaglevTable second = MaglevTable.build(shuffled, M);

        assertThat(second).isEqualTo(first);
        assertThat(second.hashCode()).isEqualTo(first.hashCode());
        assertThat(second.toArray()).isEqualTo(first.toArray());
        assertThat(first.backends()).isSorted();
    }

    @Example
    void everyNodeBuildsTheSameSlotsThoughEachSeesOtherBackendsAsLocal() {
        List<ServiceBackend> seenFromNodeA = new ArrayList<>();
        List<ServiceBackend> seenFromNodeB = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String node = i % 2 == 0 ? "node-a" : "node-b";
            IpAddress address = IpAddress.parse("10.1." + i + ".7");
            seenFromNodeA.add(new ServiceBackend(address, 8080, L4Protocol.TCP, node, "z1", node.equals("node-a"), false));
            seenFromNodeB.add(new ServiceBackend(address, 8080, L4Protocol.TCP, node, "z1", node.equals("node-b"), false));
        }
        Collections.reverse(seenFromNodeB);

        assertThat(MaglevTable.build(seenFromNodeB, M).toArray())
                .isEqualTo(MaglevTable.build(seenFromNodeA, M).toArray());
    }

    @Example
    void differentBackendsGiveDifferentTables() {
        List<ServiceBackend> some = List.of(backend(IpAddress.parse("10.0.0.1"), 80), backend(IpAddress.parse("10.0.0.2"), 80));
        List<ServiceBackend> others = List.of(backend(IpAddress.parse("10.0.0.1"), 80), backend(IpAddress.parse("10.0.0.3"), 80));

        assertThat(MaglevTable.build(others, M).toArray()).isNotEqualTo(MaglevTable.build(some, M).toArray());
    }

    @Example
    void slotsIndexTheSortedBackendList() {
        List<ServiceBackend> backends = List.of(backend(IpAddress.parse("10.0.0.9"), 80),
                backend(IpAddress.parse("10.0.0.1"), 80), backend(IpAddress.parse("10.0.0.5"), 80));
        MaglevTable table = MaglevTable.build(backends, 251);

        assertThat(table.size()).isEqualTo(251);
        assertThat(table.backends()).extracting(b -> b.address().toString())
                .containsExactly("10.0.0.1", "10.0.0.5", "10.0.0.9");
        for (int slot = 0; slot < table.size(); slot++) {
            assertThat(table.backendAt(slot)).isSameAs(table.backends().get(table.backendIndex(slot)));
        }
    }

    @Example
    void sizeMustBeAPrimeInRange() {
        List<ServiceBackend> one = List.of(backend(IpAddress.parse("10.0.0.1"), 80));

        assertThatThrownBy(() -> MaglevTable.build(one, 16380)).hasMessageContaining("16380 is not prime");
        assertThatThrownBy(() -> MaglevTable.build(one, 241)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> MaglevTable.build(one, 131_101)).hasMessageContaining("out of range");
        assertThat(MaglevTable.build(one, 131_071).size()).isEqualTo(131_071);
    }

    @Example
    void refusesNoBackendsTooManyBackendsAndDuplicates() {
        ServiceBackend a = backend(IpAddress.parse("10.0.0.1"), 80);
        ServiceBackend sameEndpointOtherNode = new ServiceBackend(a.address(), 80, L4Protocol.TCP, "n2", "", true, false);
        List<ServiceBackend> tooMany = new ArrayList<>();
        for (int i = 0; i < 252; i++) {
            tooMany.add(backend(IpAddress.ipv4(0x0A000000 + i), 80));
        }

        assertThatThrownBy(() -> MaglevTable.build(List.of(), M)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> MaglevTable.build(tooMany, 251)).hasMessageContaining("got 252");
        assertThatThrownBy(() -> MaglevTable.build(List.of(a, sameEndpointOtherNode), M))
                .hasMessageContaining("appears twice");
    }

    @Example
    void primality() {
        assertThat(List.of(2, 3, 251, 16381, 65521, 131071)).allMatch(MaglevTable::isPrime);
        assertThat(List.of(-7, 0, 1, 4, 9, 16383, 65535, 131073)).noneMatch(MaglevTable::isPrime);
    }
}
