package io.sluice.maps;

/**
 * One frontend to remove with {@link ServiceMaps#removeFrontends} (or {@link Service6Maps#removeFrontends}): its
 * entry, then its slots, then its Maglev table if it has one.
 *
 * @param frontend  the frontend key ({@link Lb4Key} or {@link Lb6Key})
 * @param serviceId its {@code service_id}
 * @param slotCount how many slots it has (0 for a Maglev frontend)
 * @param maglev    whether it has a Maglev table
 * @param <K>       the frontend key type
 */
public record FrontendRemoval<K>(K frontend, int serviceId, int slotCount, boolean maglev) {
    public FrontendRemoval {
        if (slotCount < 0) {
            throw new IllegalArgumentException("frontend " + frontend + ": slot count " + slotCount);
        }
    }
}
