package io.sluice.agent.services;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Lb4Service;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The reconciler keeps a digest of each Maglev table instead of the table: a table that differs in any slot must
 * compare unequal (else the change would never be written), an equal one equal (else every restart rewrites it); the
 * same for a frontend's slots, held as an int[] and compared by contents.
 */
class ProgrammedFrontendTest {
    private static final Lb4Service MAGLEV = new Lb4Service(7, 3, DatapathConstants.LB_F_MAGLEV, 0);
    private static final Lb4Service SLOTS = new Lb4Service(8, 3, 0, 0);

    @Property
    void aTableThatDiffersInOneSlotIsAnotherFrontend(@ForAll @Size(min = 1, max = 300) int[] table,
                                                     @ForAll @IntRange(min = 0, max = 299) int slot, @ForAll int backendId) {
        int changedSlot = slot % table.length;
        int[] changed = table.clone();
        changed[changedSlot] = backendId;

        boolean same = backendId == table[changedSlot];
        assertThat(ProgrammedFrontend.maglev(MAGLEV, changed).equals(ProgrammedFrontend.maglev(MAGLEV, table)))
                .isEqualTo(same);
    }

    @Property
    void theBackendsOfATableAreItsDistinctIdsAscending(@ForAll @Size(min = 1, max = 300) int[] table) {
        ProgrammedFrontend frontend = ProgrammedFrontend.maglev(MAGLEV, table);

        assertThat(frontend.backendIds()).isSorted().doesNotHaveDuplicates()
                .containsExactlyInAnyOrder(Arrays.stream(table).distinct().toArray());
        assertThat(frontend.slotCount()).as("a Maglev frontend has no slots in lb4_slots").isZero();
    }

    @Property
    void slotFrontendsAreEqualExactlyWhenTheirSlotsAre(@ForAll @Size(max = 40) int[] slots, @ForAll @Size(max = 40) int[] other) {
        ProgrammedFrontend frontend = ProgrammedFrontend.slots(SLOTS, slots.clone());

        assertThat(frontend).isEqualTo(ProgrammedFrontend.slots(SLOTS, slots.clone()))
                .hasSameHashCodeAs(ProgrammedFrontend.slots(SLOTS, slots.clone()));
        assertThat(frontend.equals(ProgrammedFrontend.slots(SLOTS, other))).isEqualTo(Arrays.equals(slots, other));
        assertThat(frontend.slotCount()).isEqualTo(slots.length);
        assertThat(frontend.backendIds()).containsExactly(slots);
    }
}
