package io.sluice.maps;

import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The NetworkPolicy maps of the data path: {@code ipcache4_hosts} and {@code ipcache4}, {@code endpoints4},
 * {@code ep4_by_ifindex}, {@code policy4_allow}, {@code policy4_peers} and {@code policy4_state} (written by the agent),
 * and {@code policy4_ct} (written by the programs; read here by tools and tests). Changes go through
 * {@link #apply(PolicyWritePlan)}, whose order never drops traffic both the old and the new policy allow, and which
 * ends with a new revision.
 *
 * <p>Two views are kept as one here: the ipcache is a map from prefix to identity, of which the /32s live in the
 * hash {@code ipcache4_hosts} and the shorter prefixes in the trie {@code ipcache4}; {@code policy4_peers} is not in
 * the plan at all but follows the entries, from an index of what {@code policy4_allow} holds (read at open): a peer's
 * bits are set after its new entries are written and cleared after its last entries of a kind are removed, so the
 * programs never miss an entry that is present. Runs of steps of one kind go into one batch syscall per map (the
 * trie, which has no batch, element by element), in the plan's order.
 *
 * <p>Confined to one thread (the agent's writer).
 */
public final class PolicyMaps implements AutoCloseable {
    private final TypedMap<Ipcache4HostKey, Ipcache4Value> ipcacheHosts;
    private final TypedMap<Ipcache4Key, Ipcache4Value> ipcachePrefixes;
    private final TypedMap<Ep4Key, Ep4Info> endpoints;
    private final TypedMap<Integer, Ep4Key> interfaces;
    private final TypedMap<Policy4Key, Policy4Value> entries;
    private final TypedMap<Policy4PeerKey, Policy4Peer> peers;
    private final TypedMap<Integer, Policy4State> state;
    private final TypedMap<Pct4Key, Pct4Entry> conntrack;
    private final PolicyPeerIndex peerIndex = new PolicyPeerIndex();
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

    private static final List<MapName> NAMES = List.of(MapName.IPCACHE4_HOSTS, MapName.IPCACHE4, MapName.ENDPOINTS4,
            MapName.EP4_BY_IFINDEX, MapName.POLICY4_ALLOW, MapName.POLICY4_PEERS, MapName.POLICY4_STATE, MapName.POLICY4_CT);

    /**
     * Wraps the maps and adopts what they hold: /32 prefixes an earlier agent left in the trie move to
     * {@code ipcache4_hosts} (host entry first, so the address keeps its identity throughout), and
     * {@code policy4_peers} is brought in line with the entries present.
     */
    private PolicyMaps(Map<MapName, BpfMap> maps, List<BpfMap> toClose) {
        owned.addAll(toClose);
        this.ipcacheHosts = new TypedMap<>(maps.get(MapName.IPCACHE4_HOSTS), Ipcache4HostKey.CODEC, Ipcache4Value.CODEC);
        this.ipcachePrefixes = new TypedMap<>(maps.get(MapName.IPCACHE4), Ipcache4Key.CODEC, Ipcache4Value.CODEC);
        this.endpoints = new TypedMap<>(maps.get(MapName.ENDPOINTS4), Ep4Key.CODEC, Ep4Info.CODEC);
        this.interfaces = new TypedMap<>(maps.get(MapName.EP4_BY_IFINDEX), Codec.UINT32, Ep4Key.CODEC);
        this.entries = new TypedMap<>(maps.get(MapName.POLICY4_ALLOW), Policy4Key.CODEC, Policy4Value.CODEC);
        this.peers = new TypedMap<>(maps.get(MapName.POLICY4_PEERS), Policy4PeerKey.CODEC, Policy4Peer.CODEC);
        this.state = new TypedMap<>(maps.get(MapName.POLICY4_STATE), Codec.UINT32, Policy4State.CODEC);
        this.conntrack = new TypedMap<>(maps.get(MapName.POLICY4_CT), Pct4Key.CODEC, Pct4Entry.CODEC);
        this.revision = state.get(0).orElse(new Policy4State(0));
        for (Ipcache4Key prefix : ipcachePrefixes.keys()) {
            if (prefix.prefixLength() == 32) {
                ipcachePrefixes.get(prefix).ifPresent(v -> ipcacheHosts.put(new Ipcache4HostKey(prefix.address()), v));
                ipcachePrefixes.remove(prefix);
            }
        }
        peerIndex.added(entries.entries().keySet());
        peerIndex.found(peers.entries());
        writePeers();
    }

    /**
     * Applies {@code plan} in its order, consecutive steps of one kind in one batch per map (a run ends before a
     * key it already holds, so every write of the plan happens).
     *
     * @return the number of map writes (steps)
     * @throws RuntimeException from the first write that failed; the steps before it stay applied and are
     *                          harmless to apply again
     */
    public int apply(PolicyWritePlan plan) {
        List<PolicyWritePlan.Step> steps = plan.steps();
        int i = 0;
        while (i < steps.size()) {
            Class<?> kind = steps.get(i).getClass();
            Set<Object> keys = new HashSet<>();
            int end = i;
            while (end < steps.size() && steps.get(end).getClass() == kind && keys.add(steps.get(end).mapKey())) {
                end++;
            }
            applyRun(steps.subList(i, end));
            i = end;
        }
        return steps.size();
    }

    /** One run of steps of the same kind with distinct keys. */
    private void applyRun(List<PolicyWritePlan.Step> run) {
        switch (run.getFirst()) {
            case PolicyWritePlan.RemoveEndpoint s -> endpoints.removeAll(
                    run.stream().map(t -> new Ep4Key(((PolicyWritePlan.RemoveEndpoint) t).address())).toList());
            case PolicyWritePlan.PutEndpoint s -> {
                Map<Ep4Key, Ep4Info> batch = new LinkedHashMap<>();
                run.forEach(t -> batch.put(new Ep4Key(((PolicyWritePlan.PutEndpoint) t).address()),
                        ((PolicyWritePlan.PutEndpoint) t).info()));
                endpoints.putAll(batch);
            }
            case PolicyWritePlan.RemoveInterface s -> interfaces.removeAll(
                    run.stream().map(t -> ((PolicyWritePlan.RemoveInterface) t).ifindex()).toList());
            case PolicyWritePlan.PutInterface s -> {
                Map<Integer, Ep4Key> batch = new LinkedHashMap<>();
                run.forEach(t -> batch.put(((PolicyWritePlan.PutInterface) t).ifindex(),
                        new Ep4Key(((PolicyWritePlan.PutInterface) t).address())));
                interfaces.putAll(batch);
            }
            case PolicyWritePlan.PutEntry s -> {
                Map<Policy4Key, Policy4Value> batch = new LinkedHashMap<>();
                run.forEach(t -> batch.put(((PolicyWritePlan.PutEntry) t).key(), Policy4Value.ALLOW));
                batch.keySet().forEach(Policy4Peer::bitOf); // refuse what policy4_peers cannot describe, before writing
                entries.putAll(batch);
                peerIndex.added(batch.keySet());
                writePeers();
            }
            case PolicyWritePlan.RemoveEntry s -> {
                List<Policy4Key> batch = run.stream().map(t -> ((PolicyWritePlan.RemoveEntry) t).key()).toList();
                entries.removeAll(batch);
                peerIndex.removed(batch);
                writePeers();
            }
            case PolicyWritePlan.PutIpcache s -> {
                Map<Ipcache4HostKey, Ipcache4Value> hosts = new LinkedHashMap<>();
                for (PolicyWritePlan.Step t : run) {
                    PolicyWritePlan.PutIpcache put = (PolicyWritePlan.PutIpcache) t;
                    if (put.prefix().prefixLength() == 32) {
                        hosts.put(new Ipcache4HostKey(put.prefix().address()), new Ipcache4Value(put.identity()));
                    } else {
                        ipcacheHosts.putAll(hosts); // keep the plan's order across the two maps
                        hosts.clear();
                        ipcachePrefixes.put(put.prefix(), new Ipcache4Value(put.identity()));
                    }
                }
                ipcacheHosts.putAll(hosts);
            }
            case PolicyWritePlan.RemoveIpcache s -> {
                List<Ipcache4HostKey> hosts = new ArrayList<>();
                for (PolicyWritePlan.Step t : run) {
                    Ipcache4Key prefix = ((PolicyWritePlan.RemoveIpcache) t).prefix();
                    if (prefix.prefixLength() == 32) {
                        hosts.add(new Ipcache4HostKey(prefix.address()));
                    } else {
                        ipcacheHosts.removeAll(hosts);
                        hosts.clear();
                        ipcachePrefixes.remove(prefix);
                    }
                }
                ipcacheHosts.removeAll(hosts);
            }
            case PolicyWritePlan.BumpRevision s -> bumpRevision();
        }
    }

    /** Writes the peer summaries that differ from what the entries present need (grown or shrunk). */
    private void writePeers() {
        Map<Policy4PeerKey, Policy4Peer> changed = peerIndex.changed();
        if (changed.isEmpty()) {
            return;
        }
        Map<Policy4PeerKey, Policy4Peer> puts = new LinkedHashMap<>();
        List<Policy4PeerKey> deletes = new ArrayList<>();
        changed.forEach((peer, summary) -> {
            if (summary == null) {
                deletes.add(peer);
            } else {
                puts.put(peer, summary);
            }
        });
        peers.putAll(puts);
        peers.removeAll(deletes);
        peerIndex.wrote(changed);
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
        for (Ipcache4Key key : ipcachePrefixes.keys()) {
            ipcachePrefixes.get(key).ifPresent(v -> prefixes.put(key, v.identity()));
        }
        ipcacheHosts.entries().forEach((k, v) -> prefixes.put(Ipcache4Key.host(k.address()), v.identity()));
        Map<Ipv4, Ep4Info> eps = new HashMap<>();
        endpoints.entries().forEach((k, v) -> eps.put(k.address(), v));
        Map<Integer, Ipv4> ifaces = new HashMap<>();
        interfaces.entries().forEach((k, v) -> ifaces.put(k, v.address()));
        Set<Policy4Key> keys = new HashSet<>(entries.entries().keySet());
        return new PolicyDatapathState(prefixes, eps, ifaces, keys);
    }

    /** The peer summaries {@code policy4_peers} holds, read from the kernel (tools and tests). */
    public Map<Policy4PeerKey, Policy4Peer> peers() {
        return peers.entries();
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
        for (TypedMap<?, ?> m : List.of(ipcacheHosts, ipcachePrefixes, endpoints, interfaces, entries, peers, state,
                conntrack)) {
            m.close();
        }
        owned.forEach(BpfMap::close);
        owned.clear();
    }
}
