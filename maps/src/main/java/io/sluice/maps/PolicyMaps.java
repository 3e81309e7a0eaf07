package io.sluice.maps;

import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The NetworkPolicy maps of the data path: {@code ipcache4}, {@code endpoints4}, {@code ep4_by_ifindex},
 * {@code policy4} and {@code policy4_state} (written by the agent), and {@code policy4_ct} (written by the
 * programs; read here by tools and tests). Changes go through {@link #apply(PolicyWritePlan)}, whose order never
 * drops traffic both the old and the new policy allow, and which ends with a new revision.
 *
 * <p>Confined to one thread (the agent's writer).
 */
public final class PolicyMaps implements AutoCloseable {
    private final TypedMap<Ipcache4Key, Ipcache4Value> ipcache;
    private final TypedMap<Ep4Key, Ep4Info> endpoints;
    private final TypedMap<Integer, Ep4Key> interfaces;
    private final TypedMap<Policy4Key, Policy4Value> entries;
    private final TypedMap<Integer, Policy4State> state;
    private final TypedMap<Pct4Key, Pct4Entry> conntrack;
    private final List<BpfMap> owned = new ArrayList<>();
    private Policy4State revision;

    /** The maps of a loaded object that declares them (sluice_pod). */
    public static PolicyMaps of(BpfObject object) {
        Map<MapName, BpfMap> maps = new HashMap<>();
        for (MapName name : NAMES) {
            maps.put(name, object.map(name.cName()));
        }
        return new PolicyMaps(maps, List.of());
    }

    /** The maps pinned in {@code dir} (the agent's {@code maps/} folder); they are closed with this object. */
    public static PolicyMaps openPinned(Path dir) {
        Map<MapName, BpfMap> maps = new HashMap<>();
        List<BpfMap> opened = new ArrayList<>();
        try {
            for (MapName name : NAMES) {
                BpfMap map = BpfMap.openPinned(dir.resolve(name.cName()));
                opened.add(map);
                maps.put(name, map);
            }
            return new PolicyMaps(maps, opened);
        } catch (RuntimeException e) {
            opened.forEach(BpfMap::close);
            throw e;
        }
    }

    private static final List<MapName> NAMES = List.of(MapName.IPCACHE4, MapName.ENDPOINTS4, MapName.EP4_BY_IFINDEX,
            MapName.POLICY4, MapName.POLICY4_STATE, MapName.POLICY4_CT);

    private PolicyMaps(Map<MapName, BpfMap> maps, List<BpfMap> toClose) {
        owned.addAll(toClose);
        this.ipcache = new TypedMap<>(maps.get(MapName.IPCACHE4), Ipcache4Key.CODEC, Ipcache4Value.CODEC);
        this.endpoints = new TypedMap<>(maps.get(MapName.ENDPOINTS4), Ep4Key.CODEC, Ep4Info.CODEC);
        this.interfaces = new TypedMap<>(maps.get(MapName.EP4_BY_IFINDEX), Codec.UINT32, Ep4Key.CODEC);
        this.entries = new TypedMap<>(maps.get(MapName.POLICY4), Policy4Key.CODEC, Policy4Value.CODEC);
        this.state = new TypedMap<>(maps.get(MapName.POLICY4_STATE), Codec.UINT32, Policy4State.CODEC);
        this.conntrack = new TypedMap<>(maps.get(MapName.POLICY4_CT), Pct4Key.CODEC, Pct4Entry.CODEC);
        this.revision = state.get(0).orElse(new Policy4State(0));
    }

    /**
     * Applies {@code plan} step by step.
     *
     * @return the number of map writes
     * @throws RuntimeException from the first write that failed; the steps before it stay applied and are
     *                          harmless to apply again
     */
    public int apply(PolicyWritePlan plan) {
        int writes = 0;
        for (PolicyWritePlan.Step step : plan.steps()) {
            switch (step) {
                case PolicyWritePlan.RemoveEndpoint s -> endpoints.remove(new Ep4Key(s.address()));
                case PolicyWritePlan.PutEndpoint s -> endpoints.put(new Ep4Key(s.address()), s.info());
                case PolicyWritePlan.RemoveInterface s -> interfaces.remove(s.ifindex());
                case PolicyWritePlan.PutInterface s -> interfaces.put(s.ifindex(), new Ep4Key(s.address()));
                case PolicyWritePlan.PutEntry s -> entries.put(s.key(), Policy4Value.ALLOW);
                case PolicyWritePlan.RemoveEntry s -> entries.remove(s.key());
                case PolicyWritePlan.PutIpcache s -> ipcache.put(s.prefix(), new Ipcache4Value(s.identity()));
                case PolicyWritePlan.RemoveIpcache s -> ipcache.remove(s.prefix());
                case PolicyWritePlan.BumpRevision s -> bumpRevision();
            }
            writes++;
        }
        return writes;
    }

    /** Moves {@code policy4_state} to the next revision: every tracked flow is checked again on its next packet. */
    public Policy4State bumpRevision() {
        Policy4State next = revision.next();
        state.put(0, next);
        revision = next;
        return next;
    }

    /** Sets the revision (tests: 0 makes the programs check every packet). */
    public void setRevision(Policy4State value) {
        state.put(0, value);
        revision = value;
    }

    /** The revision last written (or found at open). */
    public Policy4State revision() {
        return revision;
    }

    /** Everything the maps hold now, read from the kernel (a restarted agent starts from it). */
    public PolicyDatapathState read() {
        Map<Ipcache4Key, Integer> prefixes = new HashMap<>();
        for (Ipcache4Key key : ipcache.keys()) {
            ipcache.get(key).ifPresent(v -> prefixes.put(key, v.identity()));
        }
        Map<Ipv4, Ep4Info> eps = new HashMap<>();
        endpoints.entries().forEach((k, v) -> eps.put(k.address(), v));
        Map<Integer, Ipv4> ifaces = new HashMap<>();
        interfaces.entries().forEach((k, v) -> ifaces.put(k, v.address()));
        Set<Policy4Key> keys = new HashSet<>(entries.keys());
        return new PolicyDatapathState(prefixes, eps, ifaces, keys);
    }

    /** The policy conntrack (read-only use: tools and tests). */
    public TypedMap<Pct4Key, Pct4Entry> conntrack() {
        return conntrack;
    }

    /** The policy entries map. */
    public TypedMap<Policy4Key, Policy4Value> entries() {
        return entries;
    }

    /** The endpoints map. */
    public TypedMap<Ep4Key, Ep4Info> endpoints() {
        return endpoints;
    }

    @Override
    public void close() {
        for (TypedMap<?, ?> m : List.of(ipcache, endpoints, interfaces, entries, state, conntrack)) {
            m.close();
        }
        owned.forEach(BpfMap::close);
        owned.clear();
    }
}
