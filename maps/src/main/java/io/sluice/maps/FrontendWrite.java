package io.sluice.maps;

import java.util.Arrays;
import java.util.Objects;

/**
 * One frontend's new entry for {@link ServiceMaps#writeFrontends} (or {@link Service6Maps#writeFrontends}): either
 * its backends in slot order, or a filled Maglev table; and what it had before, so that what it no longer uses is
 * removed after its new entry is in place.
 *
 * <p>Equal when the components are, the slots compared by content (a record would compare the array by reference, so
 * a write rebuilt from its own accessors, which copy the array, would not equal it); the Maglev table by identity,
 * being a handle of one kernel map.
 *
 * @param frontend          the frontend key ({@link Lb4Key} or {@link Lb6Key})
 * @param service           the new entry; with {@code LB_F_MAGLEV} exactly when {@code maglevTable} is given
 * @param slotBackendIds    backend id per slot (each already in the backends map); empty for a Maglev frontend
 * @param maglevTable       the Maglev table to point the frontend at, or null for a slots frontend
 * @param previousSlotCount how many slots the frontend had before (0 when new or when it was a Maglev frontend)
 * @param previousMaglev    whether the frontend had a Maglev table before (removed when it now has slots)
 * @param <K>               the frontend key type
 */
public record FrontendWrite<K>(K frontend, Lb4Service service, int[] slotBackendIds,
                               MaglevTables.Table maglevTable, int previousSlotCount, boolean previousMaglev) {
    // int[], not a List<Integer>: a first sync writes 100,000 slots, and boxing each id (above Integer's cache) and
    // hashing a slot key per slot into a map was about a tenth of the writer's allocation in a start (JFR samples).
    public FrontendWrite {
        slotBackendIds = slotBackendIds.clone();
        boolean maglevFlag = (service.flags() & DatapathConstants.LB_F_MAGLEV) != 0;
        if (maglevTable == null) {
            if (maglevFlag) {
                throw new IllegalArgumentException("service " + frontend + ": LB_F_MAGLEV is set but no Maglev table is given");
            }
            if (service.backendCount() != slotBackendIds.length) {
                throw new IllegalArgumentException("service " + frontend + ": backend_count " + service.backendCount()
                        + " but " + slotBackendIds.length + " slots given");
            }
        } else {
            if (!maglevFlag) {
                throw new IllegalArgumentException("service " + frontend + ": a Maglev table for a service without LB_F_MAGLEV");
            }
            if (service.backendCount() < 1 || service.backendCount() > maglevTable.size()) {
                throw new IllegalArgumentException("service " + frontend + ": backend_count " + service.backendCount()
                        + " for a Maglev table of " + maglevTable.size() + " slots (must be 1.." + maglevTable.size() + ")");
            }
            if (slotBackendIds.length > 0) {
                throw new IllegalArgumentException("service " + frontend + ": both slots and a Maglev table given");
            }
        }
        if (previousSlotCount < 0) {
            throw new IllegalArgumentException("service " + frontend + ": previous slot count " + previousSlotCount);
        }
    }

    /** A frontend whose backends are the slots, in order. */
    public static <K> FrontendWrite<K> slots(K frontend, Lb4Service service, int[] slotBackendIds,
                                             int previousSlotCount, boolean previousMaglev) {
        return new FrontendWrite<>(frontend, service, slotBackendIds, null, previousSlotCount, previousMaglev);
    }

    /** A Maglev frontend pointed at {@code table} (made by {@code createMaglevTable}, closed by the caller after). */
    public static <K> FrontendWrite<K> maglev(K frontend, Lb4Service service, MaglevTables.Table table, int previousSlotCount) {
        return new FrontendWrite<>(frontend, service, NO_SLOTS, table, previousSlotCount, false);
    }

    private static final int[] NO_SLOTS = new int[0];

    /** The backend id of slot {@code slot}. */
    public int slotBackendId(int slot) {
        return slotBackendIds[slot];
    }

    /** How many slots this write gives the frontend (0 for a Maglev frontend). */
    public int slotCount() {
        return slotBackendIds.length;
    }

    /** A copy of the backend ids in slot order (the record's own array never leaves it). */
    @Override
    public int[] slotBackendIds() {
        return slotBackendIds.clone();
    }

    boolean isMaglev() {
        return maglevTable != null;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FrontendWrite<?> w && Objects.equals(frontend, w.frontend) && service.equals(w.service)
                && Arrays.equals(slotBackendIds, w.slotBackendIds) && maglevTable == w.maglevTable
                && previousSlotCount == w.previousSlotCount && previousMaglev == w.previousMaglev;
    }

    @Override
    public int hashCode() {
        return Objects.hash(frontend, service, Arrays.hashCode(slotBackendIds), maglevTable,
                previousSlotCount, previousMaglev);
    }

    @Override
    public String toString() {
        return "FrontendWrite[frontend=" + frontend + ", service=" + service + ", slotBackendIds="
                + Arrays.toString(slotBackendIds) + ", maglevTable=" + maglevTable + ", previousSlotCount="
                + previousSlotCount + ", previousMaglev=" + previousMaglev + "]";
    }
}
