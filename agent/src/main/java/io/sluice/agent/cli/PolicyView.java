package io.sluice.agent.cli;

import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ep4Key;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Ipcache4Value;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.Policy4State;
import io.sluice.maps.PolicyDirection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The policy maps read once ({@code endpoints4}, {@code ep4_by_ifindex}, {@code ipcache4_hosts} and
 * {@code ipcache4}, {@code policy4_allow}, {@code policy4_state}) and joined: each local endpoint with its entries per direction, and entries whose endpoint
 * id no endpoint has (left over, or written before their endpoint).
 */
public final class PolicyView {
    /** A local endpoint: its address, what endpoints4 says, the veths ep4_by_ifindex maps to it. */
    public record Endpoint(Ipv4 address, Ep4Info info, List<Integer> interfaces) {
    }

    private final int revision;
    private final List<Endpoint> endpoints;
    private final Map<Integer, List<Policy4Key>> entriesByEndpoint;
    private final Map<Ipcache4Key, Integer> ipcache;

    private PolicyView(int revision, List<Endpoint> endpoints, Map<Integer, List<Policy4Key>> entriesByEndpoint,
                       Map<Ipcache4Key, Integer> ipcache) {
        this.revision = revision;
        this.endpoints = endpoints;
        this.entriesByEndpoint = entriesByEndpoint;
        this.ipcache = ipcache;
    }

    /** Entries of one endpoint in the order a person reads them: direction, peer identity, protocol, port. */
    public static final Comparator<Policy4Key> ENTRY_ORDER = Comparator.comparing(Policy4Key::direction)
            .thenComparing(Policy4Key::identity, Integer::compareUnsigned)
            .thenComparingInt(Policy4Key::protocol)
            .thenComparingInt(Policy4Key::port)
            .thenComparingInt(Policy4Key::prefixLength);

    /** Reads the maps. */
    public static PolicyView read(PinnedMaps maps) {
        int revision = maps.policyState().get(0).map(Policy4State::revision).orElse(0);
        Map<Integer, List<Integer>> veths = new HashMap<>();
        PinnedMaps.readAll(maps.interfaces()).forEach((ifindex, key) ->
                veths.computeIfAbsent(key.address().bits(), a -> new ArrayList<>()).add(ifindex));
        List<Endpoint> endpoints = new ArrayList<>();
        for (Map.Entry<Ep4Key, Ep4Info> e : PinnedMaps.readAll(maps.endpoints()).entrySet()) {
            List<Integer> own = new ArrayList<>(veths.getOrDefault(e.getKey().address().bits(), List.of()));
            own.sort(Integer::compareUnsigned);
            endpoints.add(new Endpoint(e.getKey().address(), e.getValue(), List.copyOf(own)));
        }
        endpoints.sort(Comparator.comparing(Endpoint::address));
        Map<Integer, List<Policy4Key>> entries = new TreeMap<>();
        for (Policy4Key key : PinnedMaps.readAll(maps.policyEntries()).keySet()) {
            entries.computeIfAbsent(key.endpointId(), id -> new ArrayList<>()).add(key);
        }
        entries.values().forEach(list -> list.sort(ENTRY_ORDER));
        Map<Ipcache4Key, Integer> ipcache = new TreeMap<>();
        PinnedMaps.readAll(maps.ipcache()).forEach((k, v) -> ipcache.put(k, v.identity()));
        PinnedMaps.readAll(maps.ipcacheHosts()).forEach((k, v) -> ipcache.put(Ipcache4Key.host(k.address()), v.identity()));
        return new PolicyView(revision, List.copyOf(endpoints), entries, ipcache);
    }

    /** The value of {@code policy4_state}: the revision the agent last wrote. */
    public int revision() {
        return revision;
    }

    /** The local endpoints, by address. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** The entries of endpoint {@code endpointId} in {@code direction}, in {@link #ENTRY_ORDER}. */
    public List<Policy4Key> entries(int endpointId, PolicyDirection direction) {
        return entriesByEndpoint.getOrDefault(endpointId, List.of()).stream()
                .filter(k -> k.direction() == direction).toList();
    }

    /** Entries whose endpoint id belongs to no endpoint of endpoints4, by endpoint id. */
    public Map<Integer, List<Policy4Key>> orphanEntries() {
        Map<Integer, List<Policy4Key>> out = new TreeMap<>(entriesByEndpoint);
        endpoints.forEach(e -> out.remove(e.info().endpointId()));
        return out;
    }

    /** Every endpoint id that has entries. */
    public Map<Integer, List<Policy4Key>> allEntries() {
        return entriesByEndpoint;
    }

    /** The ipcache: prefix to identity, by address then prefix length. */
    public Map<Ipcache4Key, Integer> ipcache() {
        return ipcache;
    }
}
