package io.sluice.maps;

import io.sluice.loader.BpfObject;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The service maps ({@code lb4_services}, {@code lb4_slots}, {@code lb4_backends}, and the Maglev tables of
 * {@link MaglevTables}), written in the order that no packet can observe half-done: backends before the slots or
 * the Maglev table that point at them, those before the frontend that uses them; on removal the reverse. The
 * frontend side is {@link FrontendMaps}, shared with {@link Service6Maps}.
 *
 * <p>Confined to one thread (the agent's writer).
 */
public final class ServiceMaps implements AutoCloseable {
    private final FrontendMaps<Lb4Key> frontends;
    private final TypedMap<Lb4Key, Lb4Service> services;
    private final TypedMap<Lb4SlotKey, Integer> slots;
    private final TypedMap<Integer, Lb4Backend> backends;
    private final MaglevTables maglev;

    /** The service maps of a loaded object that declares them (sluice_pod or sluice_sock). */
    public static ServiceMaps of(BpfObject object) {
        return new ServiceMaps(object);
    }

    private ServiceMaps(BpfObject object) {
        this.services = new TypedMap<>(object.map(MapName.LB4_SERVICES.cName()), Lb4Key.CODEC, Lb4Service.CODEC);
        this.slots = new TypedMap<>(object.map(MapName.LB4_SLOTS.cName()), Lb4SlotKey.CODEC, Codec.UINT32);
        this.backends = new TypedMap<>(object.map(MapName.LB4_BACKENDS.cName()), Codec.UINT32, Lb4Backend.CODEC);
        this.maglev = MaglevTables.of(object);
        this.frontends = new FrontendMaps<>(services, slots, maglev);
    }

    /** Creates or replaces a backend. Write it before any slot refers to it. */
    public void putBackend(int backendId, Lb4Backend backend) {
        backends.put(backendId, backend);
    }

    /**
     * Creates or replaces backend {@code backends.get(i)} under id {@code ids[i]}, for each i, with one batch syscall
     * (an id listed twice gets its last backend). Write them before any slot refers to them.
     */
    public void putBackends(int[] ids, List<Lb4Backend> backends) {
        if (ids.length != backends.size()) {
            throw new IllegalArgumentException(ids.length + " backend ids for " + backends.size() + " backends");
        }
        if (ids.length == 1) {
            this.backends.put(ids[0], backends.getFirst());
        } else {
            this.backends.putAll(ids.length, (i, key, value) -> {
                key.set(Layouts.U32, 0, ids[i]); // as the int it is: Codec.UINT32 takes an Integer (16 B an id)
                Lb4Backend.CODEC.encode(backends.get(i), value);
            });
        }
    }

    /** Removes a backend that no slot refers to any more. */
    public boolean removeBackend(int backendId) {
        return backends.remove(backendId);
    }

    /** Removes backends that no slot refers to any more, with batch syscalls; returns how many were present. */
    public int removeBackends(Collection<Integer> backendIds) {
        return backends.removeAll(backendIds);
    }

    /** The backend with that id, if present. */
    public Optional<Lb4Backend> backend(int backendId) {
        return backends.get(backendId);
    }

    /**
     * Points {@code frontend} at the backends listed in slot order (each already written with
     * {@link #putBackend}): slots first, then the frontend with the new count, then slots beyond the new count
     * that the previous version of this service used, and the Maglev table it may have had. An empty list makes the
     * frontend refuse connections. A Maglev service goes through {@link #putMaglevService} instead.
     *
     * @param previousSlotCount how many slots this service had before (0 when new or when it was a Maglev service)
     */
    public void putService(Lb4Key frontend, Lb4Service service, List<Integer> slotBackendIds, int previousSlotCount) {
        frontends.write(List.of(FrontendWrite.slots(frontend, service,
                slotBackendIds.stream().mapToInt(Integer::intValue).toArray(), previousSlotCount, true)));
    }

    /**
     * Points {@code frontend} at a Maglev table (backends already written with {@link #putBackend}): the table
     * first, swapped in whole with one map update, then the frontend, then the slots the previous version of this
     * service used if it was not a Maglev service.
     *
     * @param service           with {@code LB_F_MAGLEV}; {@code backend_count}: the distinct backends in the table
     * @param table             backend id per slot, the table size M being its length
     * @param previousSlotCount how many slots this service had in the slots map before (0 when new or Maglev)
     */
    public void putMaglevService(Lb4Key frontend, Lb4Service service, int[] table, int previousSlotCount) {
        try (MaglevTables.Table filled = createMaglevTable(service.serviceId(), table)) {
            putMaglevService(frontend, service, filled, previousSlotCount);
        }
    }

    /**
     * As {@link #putMaglevService(Lb4Key, Lb4Service, int[], int)} with a table made by {@link #createMaglevTable},
     * which several frontends with the same table may share (one array map in the kernel for all of them).
     */
    public void putMaglevService(Lb4Key frontend, Lb4Service service, MaglevTables.Table table, int previousSlotCount) {
        frontends.write(List.of(FrontendWrite.maglev(frontend, service, table, previousSlotCount)));
    }

    /**
     * Writes many frontends at once in the safe order: all their slots and Maglev tables, then all their entries
     * (batch syscalls), then what they no longer use. Their backends must already be written ({@link #putBackends}).
     */
    public void writeFrontends(List<FrontendWrite<Lb4Key>> writes) {
        frontends.write(writes);
    }

    /** Removes many frontends at once: all entries, then their slots and Maglev tables. The backends stay. */
    public void removeFrontends(List<FrontendRemoval<Lb4Key>> removals) {
        frontends.remove(removals);
    }

    /** A filled Maglev table (backend id per slot) for {@link #putMaglevService}; close it once it is put. */
    public MaglevTables.Table createMaglevTable(int serviceId, int[] table) {
        return maglev.create(serviceId, table);
    }

    /** The Maglev table of a service id (backend id per slot), if it has one. */
    public Optional<int[]> maglevTable(int serviceId) {
        return maglev.table(serviceId);
    }

    /** The service ids that have a Maglev table (of either family: the map is shared with IPv6). */
    public Set<Integer> maglevServiceIds() {
        return maglev.tableIds().keySet();
    }

    /** Removes the Maglev table of a service id that no frontend uses; false if there was none. */
    public boolean removeMaglevTable(int serviceId) {
        return maglev.remove(serviceId);
    }

    /** Removes a frontend, then its slots and its Maglev table, if any. The backends stay: others may share them. */
    public void removeService(Lb4Key frontend, int serviceId, int slotCount) {
        frontends.remove(List.of(new FrontendRemoval<>(frontend, serviceId, slotCount, true)));
    }

    /** The frontend's service entry, if present. */
    public Optional<Lb4Service> service(Lb4Key frontend) {
        return services.get(frontend);
    }

    /** All frontends and their entries. */
    public Map<Lb4Key, Lb4Service> services() {
        return services.entries();
    }

    /** All backends by id. */
    public Map<Integer, Lb4Backend> backends() {
        return backends.entries();
    }

    /** The backend ids in slots {@code 0..count-1} of a service; a missing slot reads as backend 0. */
    public List<Integer> slotsOf(int serviceId, int count) {
        List<Integer> ids = new java.util.ArrayList<>(count);
        for (int slot = 0; slot < count; slot++) {
            ids.add(slots.get(new Lb4SlotKey(serviceId, slot)).orElse(0));
        }
        return ids;
    }

    @Override
    public void close() {
        frontends.close();
        backends.close();
    }
}
