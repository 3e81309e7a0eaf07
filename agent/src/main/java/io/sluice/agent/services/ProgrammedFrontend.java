package io.sluice.agent.services;

import io.sluice.maps.Lb4Service;
import java.util.List;

/**
 * What the maps hold for one frontend: its {@code lb4_services} entry and the backend id of each slot.
 *
 * @param service        the {@code lb4_services} value
 * @param slotBackendIds backend id per slot, in slot order
 */
record ProgrammedFrontend(Lb4Service service, List<Integer> slotBackendIds) {
    ProgrammedFrontend {
        slotBackendIds = List.copyOf(slotBackendIds);
    }
}
