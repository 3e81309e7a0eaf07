package io.sluice.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.config.LruMapSizes;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.MapType;
import io.sluice.loader.NetworkNamespace;
import io.sluice.loader.UpdateFlag;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The LRU maps' sizes: a fresh node's maps are created at the configured sizes; a map already pinned (by an agent
 * configured otherwise, or by an older agent whose compiled size was larger) is adopted as it is, same map, same
 * size, its flows kept, and the data path starts on it.
 */
@KernelTest
class DatapathLruSizesTest {
    /** No interface of the test's namespace has this prefix: the pod programs are attached nowhere. */
    private static final String NO_POD_INTERFACES = "sluice-none-";
    /** The compiled size of ct4_entries and policy4_ct before they were sized per node. */
    private static final int OLDER_AGENT_SIZE = 262_144;

    private static LruMapSizes sizes(int conntrack, int socketReverseNat, int affinity) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        sizes.put("ct4_entries", conntrack);
        sizes.put("policy4_ct", conntrack + 1024);
        sizes.put("lb4_sock_rev", socketReverseNat);
        sizes.put("lb6_sock_rev", socketReverseNat + 1024);
        sizes.put("lb4_affinity", affinity);
        return LruMapSizes.forNode(1).with("lruMapEntries", sizes);
    }

    private static Map<String, Integer> pinnedSizes(Path maps) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String name : LruMapSizes.MAPS) {
            try (BpfMap map = BpfMap.openPinned(maps.resolve(name))) {
                sizes.put(name, map.maxEntries());
            }
        }
        return sizes;
    }

    private static Datapath start(NetworkNamespace ns, Path pins, Cgroup cgroup, LruMapSizes sizes) throws Exception {
        return ns.call(() -> Datapath.start(pins, cgroup.path(), NO_POD_INTERFACES, List.of(), sizes));
    }

    /** A flow-like entry: a key and a value of the map's sizes filled with {@code seed}-derived bytes. */
    private record Entry(byte[] key, byte[] value) {
        static Entry of(BpfMap map, int seed) {
            byte[] key = new byte[map.keySize()];
            byte[] value = new byte[map.valueSize()];
            for (int i = 0; i < key.length; i++) {
                key[i] = (byte) (seed + i);
            }
            for (int i = 0; i < value.length; i++) {
                value[i] = (byte) (seed * 7 + i);
            }
            return new Entry(key, value);
        }

        void writeTo(BpfMap map) {
            try (Arena arena = Arena.ofConfined()) {
                map.update(arena.allocateFrom(ValueLayout.JAVA_BYTE, key), arena.allocateFrom(ValueLayout.JAVA_BYTE, value),
                        UpdateFlag.NOEXIST);
            }
        }

        /** The value {@code map} holds for this key, or null. */
        byte[] readFrom(BpfMap map) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(map.valueBufferSize());
                return map.lookup(arena.allocateFrom(ValueLayout.JAVA_BYTE, key), out)
                        ? out.asSlice(0, value.length).toArray(ValueLayout.JAVA_BYTE) : null;
            }
        }
    }

    @Test
    void aFreshNodesLruMapsAreCreatedAtTheConfiguredSizes() throws Exception {
        try (Topology topology = new Topology()) {
            Netns node = topology.namespace("node");
            Cgroup cgroup = topology.cgroup("node");
            Path pins = topology.bpfDirectory("agent");
            LruMapSizes configured = sizes(4096, 2048, 3072);
            try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
                start(ns, pins, cgroup, configured).close();
            }

            assertThat(pinnedSizes(pins.resolve("maps"))).isEqualTo(configured.entries());
        }
    }

    @Test
    void aRestartConfiguredOtherwiseAdoptsThePinnedMapsWithTheirFlows() throws Exception {
        try (Topology topology = new Topology()) {
            Netns node = topology.namespace("node");
            Cgroup cgroup = topology.cgroup("node");
            Path pins = topology.bpfDirectory("agent");
            Path maps = pins.resolve("maps");
            LruMapSizes first = sizes(4096, 2048, 3072);
            Map<String, Entry> flows = new LinkedHashMap<>();
            Map<String, Integer> ids = new LinkedHashMap<>();
            try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
                start(ns, pins, cgroup, first).close();
                int seed = 1;
                for (String name : LruMapSizes.MAPS) {
                    try (BpfMap map = BpfMap.openPinned(maps.resolve(name))) {
                        Entry flow = Entry.of(map, seed++);
                        flow.writeTo(map);
                        flows.put(name, flow);
                        ids.put(name, map.id());
                    }
                }

                Datapath restarted = start(ns, pins, cgroup, sizes(8192, 4096, 1024));
                restarted.close();
            }

            assertThat(pinnedSizes(maps)).as("the first agent's sizes").isEqualTo(first.entries());
            for (String name : LruMapSizes.MAPS) {
                try (BpfMap map = BpfMap.openPinned(maps.resolve(name))) {
                    assertThat(map.id()).as("%s is the same map", name).isEqualTo(ids.get(name));
                    assertThat(flows.get(name).readFrom(map)).as("%s keeps its flow", name)
                            .isEqualTo(flows.get(name).value());
                }
            }
        }
    }

    @Test
    void aConntrackPinnedAtAnOlderAgentsCompiledSizeIsAdoptedWithItsFlows() throws Exception {
        try (Topology topology = new Topology()) {
            Netns node = topology.namespace("node");
            Cgroup cgroup = topology.cgroup("node");
            Path pins = topology.bpfDirectory("agent");
            Path maps = pins.resolve("maps");
            Entry flow;
            int id;
            try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
                 BpfMap older = BpfMap.create(MapType.LRU_HASH, "ct4_entries", pod.map("ct4_entries").keySize(),
                         pod.map("ct4_entries").valueSize(), OLDER_AGENT_SIZE, pod.map("ct4_entries").flags())) {
                Files.createDirectories(maps);
                older.pin(maps.resolve("ct4_entries"));
                flow = Entry.of(older, 42);
                flow.writeTo(older);
                id = older.id();
            }
            LruMapSizes configured = sizes(4096, 2048, 3072);
            try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
                start(ns, pins, cgroup, configured).close();
            }

            try (BpfMap ct = BpfMap.openPinned(maps.resolve("ct4_entries"))) {
                assertThat(ct.id()).isEqualTo(id);
                assertThat(ct.maxEntries()).isEqualTo(OLDER_AGENT_SIZE);
                assertThat(flow.readFrom(ct)).isEqualTo(flow.value());
            }
            assertThat(pinnedSizes(maps)).as("the maps this start created")
                    .containsEntry("policy4_ct", configured.entries().get("policy4_ct"))
                    .containsEntry("lb4_affinity", configured.entries().get("lb4_affinity"));
        }
    }
}
