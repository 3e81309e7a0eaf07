package io.sluice.agent.model;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** ObjectKey's hand-written equals and hashCode behave as its record's generated ones would (a record is the reference). */
class ObjectKeyTest {
    private record Reference(ResourceKind kind, String namespace, String name) {
    }

    private static Reference reference(ObjectKey key) {
        return new Reference(key.kind(), key.namespace(), key.name());
    }

    @Property(tries = 2000)
    void keysAreEqualAndHashAsTheirRecordWould(@ForAll("keys") ObjectKey a, @ForAll("keys") ObjectKey b) {
        assertThat(a.hashCode()).isEqualTo(reference(a).hashCode());
        assertThat(a.equals(b)).isEqualTo(reference(a).equals(reference(b)));
        assertThat(a.equals(new ObjectKey(a.kind(), new String(a.namespace()), new String(a.name())))).isTrue();
        assertThat(a.equals(null)).isFalse();
        assertThat(a.equals(a.name())).isFalse();
    }

    /** Few values per component, so that equal keys and keys differing in one component are both frequent. */
    @Provide
    Arbitrary<ObjectKey> keys() {
        return Combinators.combine(Arbitraries.of(ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE, ResourceKind.NODE),
                Arbitraries.of("", "default", "shop"), Arbitraries.of("web", "api")).as(ObjectKey::new);
    }
}
