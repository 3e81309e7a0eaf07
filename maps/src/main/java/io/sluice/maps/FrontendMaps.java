package io.sluice.maps;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The frontend side of one address family's service maps: the frontend entries ({@code lb4_services} or
 * {@code lb6_services}), their slots ({@code lb4_slots} or {@code lb6_slots}) and the Maglev tables (shared by both
 * families). {@link ServiceMaps} and {@link Service6Maps} differ only in the frontend key type, so both write through
 * this one helper.
 *
 * <p>Writes go in the order that no packet can observe half-done, for a whole batch of frontends at once: every new
 * slot (one batch syscall) and Maglev table, then every frontend entry (one batch syscall), then what the frontends
 * no longer use (slots beyond their new count, a Maglev table they left). Removal goes the other way: entries first,
 * then their slots and tables. The backends the slots point at are the caller's to write before and remove after.
 *
 * <p>Used by one thread at a time (the agent's writer).
 *
 * @param <K> the frontend key type ({@link Lb4Key} or {@link Lb6Key})
 */
final class FrontendMaps<K> implements AutoCloseable {
    private final TypedMap<K, Lb4Service> services;
    private final TypedMap<Lb4SlotKey, Integer> slots;
    private final MaglevTables maglev;

    FrontendMaps(TypedMap<K, Lb4Service> services, TypedMap<Lb4SlotKey, Integer> slots, MaglevTables maglev) {
        this.services = services;
        this.slots = slots;
        this.maglev = maglev;
    }

    /** Writes {@code writes} in the safe order (see the class comment); a frontend listed twice gets its last entry. */
    void write(List<FrontendWrite<K>> writes) {
        if (writes.isEmpty()) {
            return;
        }
        int slotCount = 0;
        Map<K, Lb4Service> entries = HashMap.newHashMap(writes.size());
        for (FrontendWrite<K> w : writes) {
            slotCount += w.slotCount();
            entries.put(w.frontend(), w.service());
        }
        // Encoded straight into the batch, in order: a frontend listed twice gets its last slots, as the kernel
        // applies a batch's updates one after the other.
        slots.putAll(slotCount, new SlotEncoder<>(writes));
        for (FrontendWrite<K> w : writes) {
            if (w.isMaglev()) {
                maglev.put(w.service().serviceId(), w.maglevTable());
            }
        }
        putAll(services, entries);
        List<Lb4SlotKey> staleSlots = new ArrayList<>();
        for (FrontendWrite<K> w : writes) {
            int serviceId = w.service().serviceId();
            for (int slot = w.slotCount(); slot < w.previousSlotCount(); slot++) {
                staleSlots.add(new Lb4SlotKey(serviceId, slot));
            }
        }
        slots.removeAll(staleSlots);
        for (FrontendWrite<K> w : writes) {
            if (!w.isMaglev() && w.previousMaglev()) {
                maglev.remove(w.service().serviceId());
            }
        }
    }

    /** Removes {@code removals}: every entry (one batch syscall), then their slots, then their Maglev tables. */
    void remove(List<FrontendRemoval<K>> removals) {
        if (removals.isEmpty()) {
            return;
        }
        List<K> keys = new ArrayList<>(removals.size());
        List<Lb4SlotKey> slotKeys = new ArrayList<>();
        for (FrontendRemoval<K> r : removals) {
            keys.add(r.frontend());
            for (int slot = 0; slot < r.slotCount(); slot++) {
                slotKeys.add(new Lb4SlotKey(r.serviceId(), slot));
            }
        }
        if (keys.size() == 1) {
            services.remove(keys.getFirst());
        } else {
            services.removeAll(keys);
        }
        slots.removeAll(slotKeys);
        for (FrontendRemoval<K> r : removals) {
            if (r.maglev()) {
                maglev.remove(r.serviceId());
            }
        }
    }

    /** The Maglev tables this helper writes. */
    MaglevTables maglev() {
        return maglev;
    }

    /** The slots of a list of writes, one after the other, as the entries of one batch. */
    private static final class SlotEncoder<K> implements TypedMap.EntryEncoder {
        private final List<FrontendWrite<K>> writes;
        private int write;
        private int slot;

        SlotEncoder(List<FrontendWrite<K>> writes) {
            this.writes = writes;
        }

        @Override
        public void encode(int index, MemorySegment key, MemorySegment value) {
            FrontendWrite<K> w = writes.get(write);
            while (slot == w.slotCount()) {
                w = writes.get(++write);
                slot = 0;
            }
            Lb4SlotKey.CODEC.encode(new Lb4SlotKey(w.service().serviceId(), slot), key);
            value.set(Layouts.U32, 0, w.slotBackendId(slot++));
        }
    }

    /** One syscall either way: a batch of one costs an arena and a batch call, a single update neither. */
    private static <A, B> void putAll(TypedMap<A, B> map, Map<A, B> entries) {
        if (entries.size() == 1) {
            Map.Entry<A, B> only = entries.entrySet().iterator().next();
            map.put(only.getKey(), only.getValue());
        } else {
            map.putAll(entries);
        }
    }

    @Override
    public void close() {
        services.close();
        slots.close();
        maglev.close();
    }
}
