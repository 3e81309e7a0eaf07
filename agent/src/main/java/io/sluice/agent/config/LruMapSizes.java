package io.sluice.agent.config;

import io.sluice.maps.MapName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The capacity (max_entries) of each of the data path's LRU maps on this node. The kernel preallocates every entry of
 * an LRU hash map when the map is created, so their sizes are memory and start time spent whatever the maps come to
 * hold (here roughly 0.1 s of kernel CPU at the agent's start per 262,144 entries): they are chosen per node, as kube-proxy sizes the kernel's conntrack
 * table, and an operator can set each one ({@code lruMapEntries} in the configuration file,
 * {@code --lru-map-entries MAP=N,...} on the command line).
 *
 * <p>Defaults for a node with {@code n} CPUs:
 * <ul>
 *   <li>{@code ct4_entries} (service flows of the packet path) and {@code policy4_ct} (flows admitted by policy):
 *       {@code max(32,768 × n, 131,072)}, kube-proxy's {@code --conntrack-max-per-core} and
 *       {@code --conntrack-min};</li>
 *   <li>{@code lb4_sock_rev} and {@code lb6_sock_rev} (one entry per UDP socket and backend the socket programs
 *       translated): half of that, {@code max(16,384 × n, 65,536)}, as Cilium sizes its socket reverse-NAT map like
 *       its non-TCP conntrack table, half the TCP one;</li>
 *   <li>{@code lb4_affinity} (one entry per client and Service with {@code sessionAffinity: ClientIP}): 65,536, the
 *       size of Cilium's session affinity map.</li>
 * </ul>
 * No default exceeds {@link #MAX_ENTRIES}. A map already pinned keeps its size (the data path adopts it with its
 * flows); a new size applies once that pin is removed.
 */
public final class LruMapSizes {
    /** The maps sized here, in the order they are reported. */
    public static final List<String> MAPS = List.of(MapName.CT4_ENTRIES.cName(), MapName.POLICY4_CT.cName(),
            MapName.LB4_SOCK_REV.cName(), MapName.LB6_SOCK_REV.cName(), MapName.LB4_AFFINITY.cName());
    public static final int CONNTRACK_PER_CPU = 32_768;
    public static final int CONNTRACK_MIN = 131_072;
    public static final int SOCKET_REVERSE_NAT_PER_CPU = 16_384;
    public static final int SOCKET_REVERSE_NAT_MIN = 65_536;
    public static final int AFFINITY_DEFAULT = 65_536;
    /** Bounds of a size set by the operator (Cilium's for its tables: 1 Ki to 16 Mi entries). */
    public static final int MIN_ENTRIES = 1 << 10;
    public static final int MAX_ENTRIES = 1 << 24;

    private final Map<String, Integer> entries;

    private LruMapSizes(Map<String, Integer> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** The default sizes for a node with {@code cpus} CPUs. */
    public static LruMapSizes forNode(int cpus) {
        if (cpus < 1) {
            throw new IllegalArgumentException("a node has at least one CPU, got " + cpus);
        }
        int conntrack = scaled(CONNTRACK_PER_CPU, cpus, CONNTRACK_MIN);
        int socketReverseNat = scaled(SOCKET_REVERSE_NAT_PER_CPU, cpus, SOCKET_REVERSE_NAT_MIN);
        Map<String, Integer> sizes = new LinkedHashMap<>();
        sizes.put(MapName.CT4_ENTRIES.cName(), conntrack);
        sizes.put(MapName.POLICY4_CT.cName(), conntrack);
        sizes.put(MapName.LB4_SOCK_REV.cName(), socketReverseNat);
        sizes.put(MapName.LB6_SOCK_REV.cName(), socketReverseNat);
        sizes.put(MapName.LB4_AFFINITY.cName(), AFFINITY_DEFAULT);
        return new LruMapSizes(sizes);
    }

    /** {@code max(perCpu × cpus, min)}, at most {@link #MAX_ENTRIES}. */
    private static int scaled(int perCpu, int cpus, int min) {
        return (int) Math.min(MAX_ENTRIES, Math.max((long) perCpu * cpus, min));
    }

    /** The default sizes for this machine ({@link #nodeCpus()}). */
    public static LruMapSizes forThisNode() {
        return forNode(nodeCpus());
    }

    /**
     * These sizes with some replaced.
     *
     * @param setting   the setting the overrides come from, named in errors ({@code lruMapEntries})
     * @param overrides map name to entries
     * @throws ConfigurationException for a map not sized here ({@code setting}) or a size outside
     *                                {@link #MIN_ENTRIES}..{@link #MAX_ENTRIES} ({@code setting.MAP})
     */
    public LruMapSizes with(String setting, Map<String, Integer> overrides) {
        Map<String, Integer> sizes = new LinkedHashMap<>(entries);
        overrides.forEach((map, size) -> {
            if (!sizes.containsKey(map)) {
                throw new ConfigurationException(setting, "\"" + map + "\" is not one of the LRU maps " + MAPS);
            }
            if (size == null || size < MIN_ENTRIES || size > MAX_ENTRIES) {
                throw new ConfigurationException(setting + "." + map, size + " entries is outside " + MIN_ENTRIES
                        + ".." + MAX_ENTRIES);
            }
            sizes.put(map, size);
        });
        return new LruMapSizes(sizes);
    }

    /** Map name to max_entries, for every map of {@link #MAPS}. */
    public Map<String, Integer> entries() {
        return entries;
    }

    /**
     * The node's CPUs: those listed online in {@code /sys/devices/system/cpu/online} (as kube-proxy reads the
     * machine's topology, not the process's CPU affinity or container quota); the JVM's count if that cannot be read.
     */
    public static int nodeCpus() {
        try {
            return countCpus(Files.readString(Path.of("/sys/devices/system/cpu/online")));
        } catch (IOException | IllegalArgumentException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * Counts the CPUs of a kernel CPU list such as {@code 0-3,8,10-11}.
     *
     * @throws IllegalArgumentException if {@code cpuList} is not such a list
     */
    static int countCpus(String cpuList) {
        String text = cpuList.strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty CPU list");
        }
        int count = 0;
        for (String range : text.split(",")) {
            int dash = range.indexOf('-');
            try {
                int first = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                int last = dash < 0 ? first : Integer.parseInt(range.substring(dash + 1));
                if (first < 0 || last < first) {
                    throw new IllegalArgumentException("CPU range \"" + range + "\" is empty or negative");
                }
                count += last - first + 1;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + range + "\" is not a CPU or CPU range", e);
            }
        }
        return count;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LruMapSizes other && entries.equals(other.entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
