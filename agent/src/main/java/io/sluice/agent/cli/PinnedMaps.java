package io.sluice.agent.cli;

import io.sluice.loader.BpfException;
import io.sluice.loader.BpfMap;
import io.sluice.loader.Errno;
import io.sluice.loader.MapType;
import io.sluice.maps.Codec;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ep4Key;
import io.sluice.maps.Ipcache4HostKey;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Ipcache4Value;
import io.sluice.maps.Lb4AffinityKey;
import io.sluice.maps.Lb4AffinityValue;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.MaglevTables;
import io.sluice.maps.MapName;
import io.sluice.maps.Node4Config;
import io.sluice.maps.Pct4Entry;
import io.sluice.maps.Pct4Key;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.Policy4Peer;
import io.sluice.maps.Policy4PeerKey;
import io.sluice.maps.Policy4State;
import io.sluice.maps.Policy4Value;
import io.sluice.maps.TypedMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's maps, opened read-write from their pins under {@code <pinDir>/maps/<map name>} (the layout
 * {@code Datapath} creates), so the commands work whether or not the agent runs. Each map is opened on first use;
 * a missing pin or a layout that does not match is a {@link CliException} naming the path and what to check.
 *
 * <p>Confined to the command's thread.
 */
public final class PinnedMaps implements AutoCloseable {
    /** The agent's default folder (its {@code --bpffs-dir}). */
    public static final String DEFAULT_PIN_DIR = "/sys/fs/bpf/sluice";

    private final Path pinDir;
    private final Map<MapName, BpfMap> opened = new EnumMap<>(MapName.class);
    private final Map<MapName, TypedMap<?, ?>> typed = new EnumMap<>(MapName.class);
    private final List<AutoCloseable> others = new ArrayList<>();

    public PinnedMaps(Path pinDir) {
        this.pinDir = pinDir;
    }

    /** The agent's folder on bpffs. */
    public Path pinDir() {
        return pinDir;
    }

    /** The folder of the map pins. */
    public Path mapsDir() {
        return pinDir.resolve("maps");
    }

    /** Where {@code name} is pinned. */
    public Path pinOf(MapName name) {
        return mapsDir().resolve(name.cName());
    }

    /** Whether {@code name} is pinned. */
    public boolean isPinned(MapName name) {
        return Files.exists(pinOf(name));
    }

    /** The pinned map, opened once. */
    public BpfMap map(MapName name) {
        BpfMap map = opened.get(name);
        if (map == null) {
            map = open(name);
            opened.put(name, map);
        }
        return map;
    }

    private BpfMap open(MapName name) {
        Path pin = pinOf(name);
        if (!Files.isDirectory(pinDir)) {
            throw new CliException("no folder " + pinDir + ": is the agent running with --bpffs-dir " + pinDir
                    + "? (give the agent's folder with --pin-dir)");
        }
        if (!Files.exists(pin)) {
            throw new CliException("no map pinned at " + pin + ": is the agent running with --bpffs-dir " + pinDir
                    + "? (give the agent's folder with --pin-dir; an agent older than this CLI may not have this map)");
        }
        try {
            return BpfMap.openPinned(pin);
        } catch (BpfException e) {
            if (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES) {
                throw new CliException("cannot open the map pinned at " + pin + ": " + e.errnoName()
                        + " (run as root, or with CAP_BPF and access to " + pinDir + ")", e);
            }
            throw new CliException("cannot open the map pinned at " + pin + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage() + ": expected the map '" + name.cName() + "'", e);
        }
    }

    @SuppressWarnings("unchecked")
    private <K, V> TypedMap<K, V> typed(MapName name, Codec<K> key, Codec<V> value) {
        TypedMap<?, ?> map = typed.get(name);
        if (map == null) {
            try {
                map = new TypedMap<>(map(name), key, value);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage() + " (the map at " + pinOf(name)
                        + " has another layout: are the agent and this CLI the same version?)", e);
            }
            typed.put(name, map);
        }
        return (TypedMap<K, V>) map;
    }

    public TypedMap<Lb4Key, Lb4Service> services() {
        return typed(MapName.LB4_SERVICES, Lb4Key.CODEC, Lb4Service.CODEC);
    }

    public TypedMap<Lb4SlotKey, Integer> slots() {
        return typed(MapName.LB4_SLOTS, Lb4SlotKey.CODEC, Codec.UINT32);
    }

    /** The Maglev tables ({@code lb_maglev}), opened once. */
    public MaglevTables maglevTables() {
        MaglevTables tables;
        try {
            tables = MaglevTables.of(map(MapName.LB_MAGLEV));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage() + " (the map at " + pinOf(MapName.LB_MAGLEV)
                    + " has another layout: are the agent and this CLI the same version?)", e);
        }
        others.add(tables);
        return tables;
    }

    public TypedMap<Integer, Lb4Backend> backends() {
        return typed(MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC);
    }

    public TypedMap<Lb4AffinityKey, Lb4AffinityValue> affinity() {
        return typed(MapName.LB4_AFFINITY, Lb4AffinityKey.CODEC, Lb4AffinityValue.CODEC);
    }

    public TypedMap<Ct4Key, Ct4Entry> conntrack() {
        return typed(MapName.CT4_ENTRIES, Ct4Key.CODEC, Ct4Entry.CODEC);
    }

    public TypedMap<Pct4Key, Pct4Entry> policyConntrack() {
        return typed(MapName.POLICY4_CT, Pct4Key.CODEC, Pct4Entry.CODEC);
    }

    public TypedMap<Ipcache4Key, Ipcache4Value> ipcache() {
        return typed(MapName.IPCACHE4, Ipcache4Key.CODEC, Ipcache4Value.CODEC);
    }

    public TypedMap<Ipcache4HostKey, Ipcache4Value> ipcacheHosts() {
        return typed(MapName.IPCACHE4_HOSTS, Ipcache4HostKey.CODEC, Ipcache4Value.CODEC);
    }

    public TypedMap<Ep4Key, Ep4Info> endpoints() {
        return typed(MapName.ENDPOINTS4, Ep4Key.CODEC, Ep4Info.CODEC);
    }

    public TypedMap<Integer, Ep4Key> interfaces() {
        return typed(MapName.EP4_BY_IFINDEX, Codec.UINT32, Ep4Key.CODEC);
    }

    public TypedMap<Policy4Key, Policy4Value> policyEntries() {
        return typed(MapName.POLICY4_ALLOW, Policy4Key.CODEC, Policy4Value.CODEC);
    }

    public TypedMap<Policy4PeerKey, Policy4Peer> policyPeers() {
        return typed(MapName.POLICY4_PEERS, Policy4PeerKey.CODEC, Policy4Peer.CODEC);
    }

    public TypedMap<Integer, Policy4State> policyState() {
        return typed(MapName.POLICY4_STATE, Codec.UINT32, Policy4State.CODEC);
    }

    public TypedMap<Integer, Node4Config> nodeConfig() {
        return typed(MapName.NODE4_CONFIG, Codec.UINT32, Node4Config.CODEC);
    }

    /** The per-CPU counters, summed over CPUs. */
    public DatapathCounters counters() {
        DatapathCounters counters;
        try {
            counters = new DatapathCounters(map(MapName.SLUICE_COUNTERS));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage() + " (at " + pinOf(MapName.SLUICE_COUNTERS) + ")", e);
        }
        others.add(counters);
        return counters;
    }

    /**
     * Every entry of {@code map}: with batch reads where the kernel offers them, else key by key (LPM tries), in
     * the kernel's order.
     */
    public static <K, V> Map<K, V> readAll(TypedMap<K, V> map) {
        if (map.map().type() != MapType.LPM_TRIE) {
            return map.entries();
        }
        Map<K, V> out = new LinkedHashMap<>();
        for (K key : map.keys()) {
            map.get(key).ifPresent(v -> out.put(key, v)); // an exact key finds itself: no longer prefix can cover it
        }
        return out;
    }

    @Override
    public void close() {
        others.forEach(PinnedMaps::closeQuietly);
        typed.values().forEach(TypedMap::close);
        opened.values().forEach(BpfMap::close);
        others.clear();
        typed.clear();
        opened.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing more can be released
        }
    }
}
