package io.sluice.maps;

import io.sluice.loader.BpfObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The IPv6 service maps ({@code lb6_services}, {@code lb6_slots}, {@code lb6_backends}) of the socket programs,
 * written in the same order as {@link ServiceMaps}: backends before the slots that point at them, slots before
 * the frontend that counts them; on removal the reverse. Service and backend ids are one space with IPv4's:
 * the affinity map ({@link ConntrackMaps}) serves both families.
 *
 * <p>Used by one thread at a time (the agent's writer).
 */
public final class Service6Maps implements AutoCloseable {
    private final TypedMap<Lb6Key, Lb4Service> services;
    private final TypedMap<Lb4SlotKey, Integer> slots;
    private final TypedMap<Integer, Lb6Backend> backends;

    /** The IPv6 service maps of a loaded object that declares them (sluice_sock). */
    public static Service6Maps of(BpfObject object) {
        return new Service6Maps(object);
    }

    private Service6Maps(BpfObject object) {
        this.services = new TypedMap<>(object.map(MapName.LB6_SERVICES.cName()), Lb6Key.CODEC, Lb4Service.CODEC);
        this.slots = new TypedMap<>(object.map(MapName.LB6_SLOTS.cName()), Lb4SlotKey.CODEC, Codec.UINT32);
        this.backends = new TypedMap<>(object.map(MapName.LB6_BACKENDS.cName()), Codec.UINT32, Lb6Backend.CODEC);
    }

    /** Creates or replaces a backend. Write it before any slot refers to it. */
    public void putBackend(int backendId, Lb6Backend backend) {
        backends.put(backendId, backend);
    }

    /** Removes a backend that no slot refers to any more. */
    public boolean removeBackend(int backendId) {
        return backends.remove(backendId);
    }

    /** The backend with that id, if present. */
    public Optional<Lb6Backend> backend(int backendId) {
        return backends.get(backendId);
    }

    /**
     * Points {@code frontend} at the backends listed in slot order (each already written with
     * {@link #putBackend}): slots first, then the frontend with the new count, then slots beyond the new count
     * that the previous version of this service used. An empty list makes the frontend refuse connections.
     *
     * @param previousSlotCount how many slots this service had before (0 when new)
     */
    public void putService(Lb6Key frontend, Lb4Service service, List<Integer> slotBackendIds, int previousSlotCount) {
        if (service.backendCount() != slotBackendIds.size()) {
            throw new IllegalArgumentException("service " + frontend + ": backend_count " + service.backendCount()
                    + " but " + slotBackendIds.size() + " slots given");
        }
        Map<Lb4SlotKey, Integer> newSlots = new HashMap<>();
        for (int slot = 0; slot < slotBackendIds.size(); slot++) {
            newSlots.put(new Lb4SlotKey(service.serviceId(), slot), slotBackendIds.get(slot));
        }
        slots.putAll(newSlots);
        services.put(frontend, service);
        for (int slot = slotBackendIds.size(); slot < previousSlotCount; slot++) {
            slots.remove(new Lb4SlotKey(service.serviceId(), slot));
        }
    }

    /** Removes a frontend, then its slots. The backends stay: others may share them. */
    public void removeService(Lb6Key frontend, int serviceId, int slotCount) {
        services.remove(frontend);
        for (int slot = 0; slot < slotCount; slot++) {
            slots.remove(new Lb4SlotKey(serviceId, slot));
        }
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
        services.close();
        slots.close();
        backends.close();
    }
}
