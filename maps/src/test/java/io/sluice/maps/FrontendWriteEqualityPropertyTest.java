package io.sluice.maps;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * A {@link FrontendWrite} is equal to another exactly when its components are, its slots compared by content: as a
 * record of those components with the slots as a list would be, and a write rebuilt from its own accessors (which copy
 * the slots) equals it, as {@link Record#equals} promises.
 */
class FrontendWriteEqualityPropertyTest {
    private record Reference(int frontend, int serviceId, List<Integer> slots, int previousSlotCount,
                             boolean previousMaglev) {
    }

    @Property(tries = 1000)
    void slotsWritesAreEqualAndHashByContent(
            @ForAll @IntRange(max = 2) int frontendA, @ForAll @IntRange(max = 2) int frontendB,
            @ForAll @Size(max = 3) List<@IntRange(max = 2) Integer> slotsA,
            @ForAll @Size(max = 3) List<@IntRange(max = 2) Integer> slotsB,
            @ForAll @IntRange(max = 1) int previousA, @ForAll @IntRange(max = 1) int previousB,
            @ForAll boolean maglevBeforeA, @ForAll boolean maglevBeforeB) {
        FrontendWrite<Integer> a = write(frontendA, slotsA, previousA, maglevBeforeA);
        FrontendWrite<Integer> b = write(frontendB, slotsB, previousB, maglevBeforeB);

        FrontendWrite<Integer> rebuilt = new FrontendWrite<>(a.frontend(), a.service(), a.slotBackendIds(),
                a.maglevTable(), a.previousSlotCount(), a.previousMaglev());
        assertThat(rebuilt).isEqualTo(a).hasSameHashCodeAs(a).hasToString(a.toString());
        boolean sameContent = new Reference(frontendA, 7, slotsA, previousA, maglevBeforeA)
                .equals(new Reference(frontendB, 7, slotsB, previousB, maglevBeforeB));
        assertThat(a.equals(b)).isEqualTo(sameContent);
        if (sameContent) {
            assertThat(a).hasSameHashCodeAs(b);
        }
        assertThat(a.toString()).contains("slotBackendIds=" + slotsA);
        assertThat(a.equals(null)).isFalse();
    }

    private static FrontendWrite<Integer> write(int frontend, List<Integer> slots, int previousSlotCount,
                                                boolean previousMaglev) {
        int[] ids = slots.stream().mapToInt(Integer::intValue).toArray();
        Lb4Service service = new Lb4Service(7, ids.length, 0, 0);
        return FrontendWrite.slots(frontend, service, ids, previousSlotCount, previousMaglev);
    }
}
