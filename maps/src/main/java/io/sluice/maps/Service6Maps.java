package io.sluice.maps;

import io.sluice.loader.BpfObject;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The IPv6 service maps ({@code lb6_services}, {@code lb6_slots}, {@code lb6_backends}, and the Maglev tables of
 * {@link MaglevTables}, shared with IPv4) of the socket programs,
 * written in the same order as {@link ServiceMaps} (through the same {@link FrontendMaps}): backends before the slots
 * that point at them, slots before the frontend that counts them; on removal the reverse. Service and backend ids are
 * one space with IPv4's: the affinity map ({@link ConntrackMaps}) serves both families.
 *
 * <p>Used by one thread at a time (the agent's writer).
 */
public final class Service6Maps implements AutoCloseable {
    private final FrontendMaps<Lb6Key> frontends;
    private final TypedMap<Lb6Key, Lb4Service> services;
    private final TypedMap<Lb4SlotKey, Integer> slots;
    private final TypedMap<Integer, Lb6Backend> backends;
    private final MaglevTables maglev;

    /** The IPv6 service maps of a loaded object that declares them (sluice_sock). */
    public static Service6Maps of(BpfObject object) {
        return new Service6Maps(object);
    }

    private Service6Maps(BpfObject object) {
        this.services = new TypedMap<>(object.map(MapName.LB6_SERVICES.cName()), Lb6Key.CODEC, Lb4Service.CODEC);
        this.slots = new TypedMap<>(object.map(MapName.LB6_SLOTS.cName()), Lb4SlotKey.CODEC, Codec.UINT32);
        this.backends = new TypedMap<>(object.map(MapName.LB6_BACKENDS.cName()), Codec.UINT32, Lb6Backend.CODEC);
        this.maglev = MaglevTables.of(object);
        this.frontends = new FrontendMaps<>(services, slots, maglev);
    }

    /** Creates or replaces a backend. Write it before any slot refers to it. */
    public void putBackend(int backendId, Lb6Backend backend) {
        backends.put(backendId, backend);
    }

    /** Creates or replaces backends with one batch syscall. Write them before any slot refers to them. */
    public void putBackends(Map<Integer, Lb6Backend> byId) {
        if (byId.size() == 1) {
            Map.Entry<Integer, Lb6Backend> only = byId.entrySet().iterator().next();
            backends.put(only.getKey(), only.getValue());
        } else {
            backends.putAll(byId);
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
    public Optional<Lb6Backend> backend(int backendId) {
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
    public void putService(Lb6Key frontend, Lb4Service service, List<Integer> slotBackendIds, int previousSlotCount) {
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
    public void putMaglevService(Lb6Key frontend, Lb4Service service, int[] table, int previousSlotCount) {
        try (MaglevTables.Table filled = createMaglevTable(service.serviceId(), table)) {
            putMaglevService(frontend, service, filled, previousSlotCount);
        }
    }

    /**
     * As {@link #putMaglevService(Lb6Key, Lb4Service, int[], int)} with a table made by {@link #createMaglevTable},
     * which several frontends with the same table may share (one array map in the kernel for all of them).
     */
    public void putMaglevService(Lb6Key frontend, Lb4Service service, MaglevTables.Table table, int previousSlotCount) {
        frontends.write(List.of(FrontendWrite.maglev(frontend, service, table, previousSlotCount)));
    }

    /**
     * Writes many frontends at once in the safe order: all their slots and Maglev tables, then all their entries
     * (batch syscalls), then what they no longer use. Their backends must already be written ({@link #putBackends}).
     */
    public void writeFrontends(List<FrontendWrite<Lb6Key>> writes) {
        frontends.write(writes);
    }

    /** Removes many frontends at once: all entries, then their slots and Maglev tables. The backends stay. */
    public void removeFrontends(List<FrontendRemoval<Lb6Key>> removals) {
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

    /** Removes a frontend, then its slots and its Maglev table, if any. The backends stay: others may share them. */
    public void removeService(Lb6Key frontend, int serviceId, int slotCount) {
        frontends.remove(List.of(new FrontendRemoval<>(frontend, serviceId, slotCount, true)));
    }

    /** The frontend's service entry, if present. */
    public Optional<Lb4Service> service(Lb6Key frontend) {
        return services.get(frontend);
    }

    /** All frontends and their entries. */
    public Map<Lb6Key, Lb4Service> services() {
        return services.entries();
    }

    @Override
    public void close() {
        frontends.close();
        backends.close();
    }
}
