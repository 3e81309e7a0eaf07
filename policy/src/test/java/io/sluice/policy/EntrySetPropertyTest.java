package io.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * An {@link EntrySet} derived through any sequence of changes (overlays folded into new bases on the way) holds what
 * a plain set given the same changes holds, and the difference of any two versions is the plain sets' difference,
 * whether they share a base or not.
 */
class EntrySetPropertyTest {

    @Property(tries = 200)
    void everyVersionHoldsWhatAPlainSetHoldsAndDifferencesAgree(@ForAll("changes") List<List<Integer>> changes) {
        List<EntrySet> versions = new ArrayList<>();
        List<Set<PolicyEntry>> plain = new ArrayList<>();
        EntrySet current = EntrySet.of(Set.of());
        Set<PolicyEntry> model = new HashSet<>();
        versions.add(current);
        plain.add(Set.copyOf(model));
        for (List<Integer> change : changes) {
            Set<PolicyEntry> plus = new HashSet<>();
            Set<PolicyEntry> minus = new HashSet<>();
            for (int identity : change) {
                PolicyEntry entry = entry(identity);
                if (model.contains(entry)) {
                    minus.add(entry);
                } else {
                    plus.add(entry);
                }
            }
            current = current.with(plus, minus);
            model.addAll(plus);
            model.removeAll(minus);
            assertThat(current).hasSize(model.size()).containsExactlyInAnyOrderElementsOf(model);
            for (PolicyEntry e : model) {
                assertThat(current.contains(e)).isTrue();
            }
            versions.add(current);
            plain.add(Set.copyOf(model));
        }
        for (int i = 0; i < versions.size(); i += 3) {
            for (int j = 0; j < versions.size(); j += 2) {
                Set<PolicyEntry> expected = new HashSet<>(plain.get(i));
                expected.removeAll(plain.get(j));
                assertThat(EntrySet.difference(versions.get(i), versions.get(j))).isEqualTo(expected);
            }
        }
    }

    @Test
    void addingAHeldEntryOrRemovingAnAbsentOneIsRefused() {
        EntrySet set = EntrySet.of(Set.of(entry(1)));
        assertThatThrownBy(() -> set.with(Set.of(entry(1)), Set.of())).hasMessageContaining("holds already");
        assertThatThrownBy(() -> set.with(Set.of(), Set.of(entry(2)))).hasMessageContaining("does not hold");
        assertThatThrownBy(() -> set.add(entry(3))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void entriesWithEqualHashesAreKeptApart() {
        // hashCode is a base-31 polynomial: one more identity and 31^2 fewer port numbers give the same hash.
        List<PolicyEntry> same = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            same.add(PolicyEntry.of(7, Direction.INGRESS, 100 + i, Protocol.TCP, PortBlock.single(5000 - 961 * i)));
        }
        assertThat(same).extracting(PolicyEntry::hashCode).containsOnly(same.getFirst().hashCode());
        EntrySet two = EntrySet.of(same.subList(0, 2));
        EntrySet four = two.with(same.subList(2, 4), List.of());
        assertThat(four).containsExactlyInAnyOrderElementsOf(same);
        EntrySet three = four.with(List.of(), List.of(same.get(1)));
        assertThat(three).hasSize(3).doesNotContain(same.get(1)).contains(same.get(0), same.get(2), same.get(3));
        EntrySet one = three.with(List.of(), List.of(same.get(0), same.get(2)));
        assertThat(one).containsExactly(same.get(3));
        assertThat(EntrySet.difference(EntrySet.of(same), one)).containsExactlyInAnyOrder(same.get(0), same.get(1), same.get(2));
        assertThat(EntrySet.difference(three, two)).containsExactlyInAnyOrder(same.get(2), same.get(3));
        assertThatThrownBy(() -> one.with(List.of(), List.of(same.get(0)))).hasMessageContaining("does not hold");
    }

    private static PolicyEntry entry(int identity) {
        return identity % 2 == 0 ? PolicyEntry.anyPort(7, Direction.INGRESS, identity)
                : PolicyEntry.of(7, Direction.EGRESS, identity, Protocol.TCP, PortBlock.single(80 + identity % 5));
    }

    @Provide
    Arbitrary<List<List<Integer>>> changes() {
        // Up to 300 identities and changes of up to 90 entries: enough to fold overlays into new bases several times.
        Arbitrary<List<Integer>> change = Arbitraries.integers().between(0, 300).set().ofMaxSize(90).map(ArrayList::new);
        return change.list().ofMaxSize(25);
    }
}
