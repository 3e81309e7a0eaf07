package io.sluice.agent.cli;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.MaglevTables;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The service maps read once ({@code lb4_services}, {@code lb4_slots}, {@code lb4_backends}, and for Maglev
 * frontends their tables in {@code lb_maglev}) and joined: each frontend with the backends its slots point at, each
 * backend with the frontends that use it. The maps hold no
 * Service names, so frontends are known by address, port, protocol, scope and service id.
 */
public final class ServiceView {
    /** A backend as one frontend uses it: in how many of its slots; {@code backend} is null when the id is gone. */
    public record SlotShare(int backendId, Lb4Backend backend, int slots) {
    }

    /**
     * One frontend with its backends in order of first slot, its slot count (a Maglev frontend: the size of its
     * table) and the slots below that count that are missing.
     */
    public record Frontend(Lb4Key key, Lb4Service service, int slotCount, List<SlotShare> backends, int emptySlots) {
    }

    /** One backend and the frontends whose slots point at it. */
    public record Backend(int id, Lb4Backend backend, List<Frontend> usedBy) {
    }

    private final List<Frontend> frontends;
    private final List<Backend> backends;

    private ServiceView(List<Frontend> frontends, List<Backend> backends) {
        this.frontends = frontends;
        this.backends = backends;
    }

    /** Reads the service maps. */
    public static ServiceView read(PinnedMaps maps) {
        Map<Lb4Key, Lb4Service> services = PinnedMaps.readAll(maps.services());
        Map<Lb4SlotKey, Integer> slots = PinnedMaps.readAll(maps.slots());
        MaglevTables maglev = maps.maglevTables();
        Map<Integer, Integer> maglevMapIds = maglev.tableIds();
        Map<Integer, int[]> tablesByMapId = new HashMap<>(); // frontends of one Service port share their table
        Map<Integer, Lb4Backend> backendsById = new TreeMap<>(Integer::compareUnsigned);
        backendsById.putAll(PinnedMaps.readAll(maps.backends()));

        Map<Integer, Map<Integer, Integer>> slotsByService = new HashMap<>();
        slots.forEach((k, backendId) -> slotsByService.computeIfAbsent(k.serviceId(), id -> new TreeMap<>())
                .put(k.slot(), backendId));

        List<Frontend> frontends = new ArrayList<>();
        services.entrySet().stream().sorted(Map.Entry.comparingByKey(FRONTEND_ORDER)).forEach(e -> {
            Lb4Service service = e.getValue();
            Map<Integer, Integer> counts = new LinkedHashMap<>();
            int empty = 0;
            int slotCount;
            Integer mapId = (service.flags() & DatapathConstants.LB_F_MAGLEV) == 0 ? null
                    : maglevMapIds.get(service.serviceId());
            int[] table = mapId == null ? null
                    : tablesByMapId.computeIfAbsent(mapId, id -> maglev.tableOfMap(id).orElse(null));
            if (table != null) {
                slotCount = table.length;
                for (int backendId : table) {
                    counts.merge(backendId, 1, Integer::sum);
                }
            } else {
                // No Maglev table: the slots, as the data path reads them (also for an older agent's Maglev entry).
                Map<Integer, Integer> own = slotsByService.getOrDefault(service.serviceId(), Map.of());
                slotCount = service.backendCount();
                for (int slot = 0; slot < slotCount; slot++) {
                    Integer backendId = own.get(slot);
                    if (backendId == null) {
                        empty++;
                    } else {
                        counts.merge(backendId, 1, Integer::sum);
                    }
                }
            }
            List<SlotShare> shares = new ArrayList<>();
            counts.forEach((id, n) -> shares.add(new SlotShare(id, backendsById.get(id), n)));
            frontends.add(new Frontend(e.getKey(), service, slotCount, List.copyOf(shares), empty));
        });

        Map<Integer, List<Frontend>> users = new HashMap<>();
        for (Frontend f : frontends) {
            f.backends().forEach(s -> users.computeIfAbsent(s.backendId(), id -> new ArrayList<>()).add(f));
        }
        List<Backend> backends = new ArrayList<>();
        backendsById.forEach((id, backend) -> backends.add(new Backend(id, backend, List.copyOf(users.getOrDefault(id, List.of())))));
        return new ServiceView(List.copyOf(frontends), List.copyOf(backends));
    }

    /** Frontends by address, port, protocol, then internal before external. */
    public static final Comparator<Lb4Key> FRONTEND_ORDER = Comparator.comparing(Lb4Key::address)
            .thenComparingInt(Lb4Key::port)
            .thenComparing(Lb4Key::protocol)
            .thenComparingInt(k -> -k.scope().value());

    /** Every frontend, in {@link #FRONTEND_ORDER}. */
    public List<Frontend> frontends() {
        return frontends;
    }

    /** Every backend, by id. */
    public List<Backend> backends() {
        return backends;
    }
}
