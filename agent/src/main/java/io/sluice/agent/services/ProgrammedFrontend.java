package io.sluice.agent.services;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Lb4Service;
import java.util.Arrays;

/**
 * What the maps hold for one frontend: its {@code lb4_services} entry, the backends it points at and, for a Maglev
 * frontend, a digest of its table (the table itself, 4 bytes a slot, stays in the kernel only: thousands of Maglev
 * frontends would otherwise cost the agent as much heap as the kernel spends on the tables).
 *
 * @param service      the {@code lb4_services} value
 * @param backendIds   without {@code LB_F_MAGLEV}: the backend id of each slot, in slot order; with it: the distinct
 *                     backend ids of the table, ascending
 * @param maglevDigest a 64-bit digest of the table's size and backend ids (0 without {@code LB_F_MAGLEV})
 */
record ProgrammedFrontend(Lb4Service service, int[] backendIds, long maglevDigest) {
    // int[] rather than a List<Integer>: 10,000 frontends of 10 backends held 100,000 boxed ids and their lists (1.8 MB).
    // The array is the record's own (callers hand over fresh arrays) and never changes; equality is by its contents.

    /** A frontend whose backends are in {@code lb4_slots}: {@code slotBackendIds}, in slot order (not copied). */
    static ProgrammedFrontend slots(Lb4Service service, int[] slotBackendIds) {
        return new ProgrammedFrontend(service, slotBackendIds, 0);
    }

    /** A Maglev frontend with {@code table} (backend id per slot) in {@code lb_maglev}. */
    static ProgrammedFrontend maglev(Lb4Service service, int[] table) {
        int[] sorted = table.clone();
        Arrays.sort(sorted);
        int distinct = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[distinct - 1]) {
                sorted[distinct++] = sorted[i];
            }
        }
        return new ProgrammedFrontend(service, Arrays.copyOf(sorted, distinct), digest(table));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProgrammedFrontend other && maglevDigest == other.maglevDigest && service.equals(other.service)
                && Arrays.equals(backendIds, other.backendIds);
    }

    @Override
    public int hashCode() {
        return (service.hashCode() * 31 + Arrays.hashCode(backendIds)) * 31 + Long.hashCode(maglevDigest);
    }

    @Override
    public String toString() {
        return "ProgrammedFrontend[service=" + service + ", backendIds=" + Arrays.toString(backendIds)
                + ", maglevDigest=" + maglevDigest + "]";
    }

    boolean isMaglev() {
        return (service.flags() & DatapathConstants.LB_F_MAGLEV) != 0;
    }

    /** The entries this frontend has in {@code lb4_slots}: none for a Maglev frontend. */
    int slotCount() {
        return isMaglev() ? 0 : backendIds.length;
    }

    /** Size and contents mixed slot by slot (SplitMix64's finaliser), so two different tables practically never agree. */
    static long digest(int[] table) {
        long h = mix(table.length);
        for (int backendId : table) {
            h = mix(h * 31 + Integer.toUnsignedLong(backendId));
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
