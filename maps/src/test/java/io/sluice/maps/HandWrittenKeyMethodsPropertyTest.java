package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The map keys whose equals and hashCode are written by hand (the records' generated ones are slow under C1) behave
 * as the generated ones would: a record of the same components is the reference, so map iteration orders are kept.
 */
class HandWrittenKeyMethodsPropertyTest {
    private record Ipv4Reference(int bits) {
    }

    private record Lb4KeyReference(Ipv4Reference address, int port, IpProtocol protocol, LbScope scope) {
    }

    private record Lb4SlotKeyReference(int serviceId, int slot) {
    }

    private static Lb4KeyReference reference(Lb4Key key) {
        return new Lb4KeyReference(new Ipv4Reference(key.address().bits()), key.port(), key.protocol(), key.scope());
    }

    @Property(tries = 2000)
    void lb4KeysAreEqualAndHashAsTheirRecordWould(@ForAll("keys") Lb4Key a, @ForAll("keys") Lb4Key b) {
        assertThat(a.hashCode()).isEqualTo(reference(a).hashCode());
        assertThat(a.address().hashCode()).isEqualTo(new Ipv4Reference(a.address().bits()).hashCode());
        assertThat(a.equals(b)).isEqualTo(reference(a).equals(reference(b)));
        assertThat(a.address().equals(b.address())).isEqualTo(a.address().bits() == b.address().bits());
        assertThat(a.equals(null)).isFalse();
        assertThat(a.address().equals(a)).isFalse();
    }

    @Property(tries = 1000)
    void slotKeysAreEqualAndHashAsTheirRecordWould(@ForAll("slotKeys") Lb4SlotKey a, @ForAll("slotKeys") Lb4SlotKey b) {
        Lb4SlotKeyReference ra = new Lb4SlotKeyReference(a.serviceId(), a.slot());
        assertThat(a.hashCode()).isEqualTo(ra.hashCode());
        assertThat(a.equals(b)).isEqualTo(ra.equals(new Lb4SlotKeyReference(b.serviceId(), b.slot())));
        assertThat(a.equals(null)).isFalse();
    }

    @Provide
    Arbitrary<Lb4SlotKey> slotKeys() {
        return Combinators.combine(Arbitraries.of(1, 2, -1), Arbitraries.of(0, 1, 31)).as(Lb4SlotKey::new);
    }

    /** Few values per component, so that equal keys and keys differing in one component are both frequent. */
    @Provide
    Arbitrary<Lb4Key> keys() {
        return Combinators.combine(Arbitraries.of(0x0a000001, 0x0a000002, -1).map(Ipv4::new), Arbitraries.of(80, 443),
                Arbitraries.of(IpProtocol.TCP, IpProtocol.UDP), Arbitraries.of(LbScope.values())).as(Lb4Key::new);
    }
}
