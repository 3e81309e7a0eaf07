package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.ids.ServiceIds;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.services.ServiceReconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.fixtures.TestPacket;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.maps.Codec;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.LbScope;
import io.sluice.maps.MaglevTables;
import io.sluice.maps.MapName;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.TypedMap;
import io.sluice.servicelb.DesiredFrontend;
import io.sluice.servicelb.LbAlgorithm;
import io.sluice.servicelb.MaglevTable;
import io.sluice.servicelb.NodeContext;
import io.sluice.servicelb.ServiceKey;
import io.sluice.servicelb.ServiceLbConfig;
import io.sluice.servicelb.ServiceTranslator;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's service reconciler on the real maps with 200 Maglev Services (more with
 * {@code -Dsluice.maglev.services=N}) at the default table size of {@value #TABLE_SIZE} slots: 200 x 16381 slots are
 * 6x what {@code lb4_slots} held when the tables lived there, so the first flush would have failed then. Each frontend's
 * table in the kernel is exactly the table service-lb builds; an endpoint change replaces a table whole; a deleted
 * Service takes its table along; a restarted reconciler adopts the tables and rewrites none. Prints the kernel's
 * memory accounting of one table.
 */
@KernelTest
class ManyMaglevServicesTest {
    private static final int SERVICES = Integer.getInteger("sluice.maglev.services", 200);
    private static final int TABLE_SIZE = 16381;
    private static final int ENDPOINTS = 3;

    private final NodeContext node = NodeContext.parse("node-1", List.of("192.168.50.10", "192.168.50.11"), List.of());
    private final ServiceLbConfig config = new ServiceLbConfig(TABLE_SIZE, ServiceLbConfig.DEFAULT_MAX_BACKENDS_PER_SERVICE);
    private Path state;

    @BeforeEach
    void stateDir() throws Exception {
        state = Files.createTempDirectory("sluice-maglev-state-");
    }

    @AfterEach
    void removeStateDir() throws Exception {
        Topology.deleteTree(state);
    }

    @Test
    void hundredsOfMaglevServicesAtTheDefaultTableSizeAreProgrammedWholeAndReplacedWhole() throws Exception {
        assertThat((long) SERVICES * TABLE_SIZE).as("more slots than lb4_slots holds").isGreaterThan(DatapathConstants.LB4_SLOTS_MAX);
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            InMemoryServiceSource source = new InMemoryServiceSource();
            for (int s = 0; s < SERVICES; s++) {
                source.put(service(s));
                source.put(slice(s, ENDPOINTS));
            }
            long start = System.nanoTime();
            try (Agent agent = new Agent(pod, source)) {
                agent.runUntilReady();
                System.out.printf("%d Maglev services x %d slots programmed in %.2f s%n", SERVICES, TABLE_SIZE,
                        (System.nanoTime() - start) / 1e9);
                assertThat(agent.operations("lb_maglev", "update")).isEqualTo(SERVICES);
                for (int s = 0; s < SERVICES; s++) {
                    assertTableIsServiceLbs(agent.maps, s, slice(s, ENDPOINTS));
                }
                assertThat(agent.maps.maglevServiceIds()).hasSize(SERVICES);
                printMemoryOfOneTable(pod, agent.maps, frontend(0));

                // A flow to the last service reaches one of its endpoints through its table.
                TestPacket out = TestPacket.parseVerified(pod.program("from_pod").testRun(
                        TestPacket.tcpSyn("10.9.0.1", 40000, clusterIp(SERVICES - 1), 80).toBytes(), 1).packetOut());
                assertThat(TestPacket.ipText(out.destination())).isIn(endpointIps(SERVICES - 1, ENDPOINTS));

                // One endpoint of service 7 goes: its table is replaced, a third of the slots move, the others stay.
                int[] before = agent.maps.maglevTable(serviceId(agent.maps, 7)).orElseThrow();
                EndpointSlice smaller = slice(7, ENDPOINTS - 1);
                source.put(smaller);
                source.channel.publish(ResourceKind.ENDPOINT_SLICE, false, smaller);
                agent.runUntilIdle();
                assertTableIsServiceLbs(agent.maps, 7, smaller);
                int[] after = agent.maps.maglevTable(serviceId(agent.maps, 7)).orElseThrow();
                int moved = 0;
                for (int slot = 0; slot < TABLE_SIZE; slot++) {
                    moved += before[slot] == after[slot] ? 0 : 1;
                }
                assertThat(moved).as("slots moved of %d", TABLE_SIZE).isBetween(TABLE_SIZE / 3 - TABLE_SIZE / 50,
                        TABLE_SIZE / 3 + TABLE_SIZE / 50);

                // Service 9 is deleted: its frontend and its table go.
                int gone = serviceId(agent.maps, 9);
                Service deleted = service(9);
                source.remove(deleted);
                source.channel.publish(ResourceKind.SERVICE, true, deleted);
                agent.runUntilIdle();
                assertThat(agent.maps.service(frontend(9))).isEmpty();
                assertThat(agent.maps.maglevServiceIds()).doesNotContain(gone).hasSize(SERVICES - 1);
            }

            // A restarted agent adopts every table and rewrites none.
            try (Agent restarted = new Agent(pod, source)) {
                restarted.runUntilReady();
                assertThat(restarted.operations("lb_maglev", "update")).as("tables rewritten after a restart").isZero();
                assertThat(restarted.maps.maglevServiceIds()).hasSize(SERVICES - 1);
            }
        }
    }

    @Test
    void theFrontendsOfOneServicePortShareOneTableInTheKernel() throws Exception {
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            InMemoryServiceSource source = new InMemoryServiceSource();
            Service nodePort = new ServiceBuilder(service(0)).editSpec().withType("NodePort").editFirstPort().withNodePort(30080)
                    .endPort().endSpec().build();
            source.put(nodePort);
            source.put(slice(0, ENDPOINTS));
            try (Agent agent = new Agent(pod, source); MaglevTables tables = MaglevTables.of(pod)) {
                agent.runUntilReady();
                Map<Lb4Key, Lb4Service> frontends = agent.maps.services();
                // The cluster IP, and each of the 2 node addresses with external and internal scope.
                assertThat(frontends).hasSize(5);
                assertThat(frontends.values()).allSatisfy(f -> assertThat(f.flags() & DatapathConstants.LB_F_MAGLEV).isNotZero());
                Map<Integer, Integer> mapIds = tables.tableIds();
                assertThat(mapIds.keySet()).containsExactlyInAnyOrderElementsOf(
                        frontends.values().stream().map(Lb4Service::serviceId).toList());
                assertThat(Set.copyOf(mapIds.values())).as("array maps behind the 5 frontends").hasSize(1);

                EndpointSlice smaller = slice(0, ENDPOINTS - 1);
                source.put(smaller);
                source.channel.publish(ResourceKind.ENDPOINT_SLICE, false, smaller);
                agent.runUntilIdle();
                Map<Integer, Integer> after = tables.tableIds();
                assertThat(Set.copyOf(after.values())).as("array maps after the change").hasSize(1)
                        .doesNotContainAnyElementsOf(mapIds.values());
                assertTableIsServiceLbs(agent.maps, 0, smaller);
                int[] clusterIpTable = agent.maps.maglevTable(serviceId(agent.maps, 0)).orElseThrow();
                for (Lb4Service f : frontends.values()) {
                    assertThat(agent.maps.maglevTable(f.serviceId()).orElseThrow()).isEqualTo(clusterIpTable);
                }
            }
        }
    }

    @Test
    void aTableAnOlderAgentLeftInTheSlotsKeepsServingAndMovesToItsOwnMapOnRestart() throws Exception {
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            InMemoryServiceSource source = new InMemoryServiceSource();
            for (int s = 0; s < 3; s++) {
                source.put(service(s));
                source.put(slice(s, ENDPOINTS));
            }
            List<byte[]> packets = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                packets.add(TestPacket.tcpSyn("10.9." + (i >> 8) + "." + (1 + (i & 127)), 2000 + i, clusterIp(0), 80).toBytes());
            }
            int serviceId;
            int[] table;
            List<String> reached;
            try (Agent agent = new Agent(pod, source)) {
                agent.runUntilReady();
                Lb4Service entry = agent.maps.service(frontend(0)).orElseThrow();
                serviceId = entry.serviceId();
                table = agent.maps.maglevTable(serviceId).orElseThrow();
                reached = backendsOf(pod, packets);

                // What an agent before lb_maglev wrote: the table in lb4_slots, backend_count = table size.
                try (TypedMap<Lb4SlotKey, Integer> slots = new TypedMap<>(pod.map(MapName.LB4_SLOTS.cName()),
                        Lb4SlotKey.CODEC, Codec.UINT32); MaglevTables tables = MaglevTables.of(pod)) {
                    Map<Lb4SlotKey, Integer> legacy = new HashMap<>();
                    for (int slot = 0; slot < TABLE_SIZE; slot++) {
                        legacy.put(new Lb4SlotKey(serviceId, slot), table[slot]);
                    }
                    slots.putAll(legacy);
                    try (TypedMap<Lb4Key, Lb4Service> services = new TypedMap<>(pod.map(MapName.LB4_SERVICES.cName()),
                            Lb4Key.CODEC, Lb4Service.CODEC)) {
                        services.put(frontend(0), new Lb4Service(serviceId, TABLE_SIZE, entry.flags(), entry.affinityTimeoutSeconds()));
                    }
                    assertThat(tables.remove(serviceId)).isTrue();
                }
                assertThat(backendsOf(pod, packets)).as("flows served from the slots").isEqualTo(reached);
            }

            try (Agent restarted = new Agent(pod, source);
                 TypedMap<Lb4SlotKey, Integer> slots = new TypedMap<>(pod.map(MapName.LB4_SLOTS.cName()), Lb4SlotKey.CODEC,
                         Codec.UINT32)) {
                assertThat(restarted.maps.maglevTable(serviceId)).as("moved at adoption").hasValueSatisfying(
                        t -> assertThat(t).isEqualTo(table));
                assertThat(restarted.maps.service(frontend(0)).orElseThrow().backendCount()).isEqualTo(ENDPOINTS);
                assertThat(slots.entries()).as("slots left in lb4_slots").isEmpty();
                restarted.runUntilReady();
                assertThat(restarted.operations("lb_maglev", "update")).as("the move, and nothing after it").isEqualTo(1);
                assertThat(backendsOf(pod, packets)).as("flows after the move").isEqualTo(reached);
            }
        }
    }

    /** The backend each packet's new flow goes to through from_pod; conntrack is emptied first, so every flow is new. */
    private static List<String> backendsOf(BpfObject pod, List<byte[]> packets) {
        try (ConntrackMaps flows = ConntrackMaps.of(pod)) {
            flows.conntrack().removeAll(flows.conntrack().keys());
        }
        List<String> backends = new ArrayList<>();
        for (byte[] packet : packets) {
            backends.add(TestPacket.ipText(TestPacket.parseVerified(pod.program("from_pod").testRun(packet, 1).packetOut())
                    .destination()));
        }
        return backends;
    }

    /** The kernel's table of service {@code s} holds, slot by slot, the endpoint service-lb's table holds. */
    private void assertTableIsServiceLbs(ServiceMaps maps, int s, EndpointSlice slice) {
        DesiredFrontend desired = new ServiceTranslator(config, node).translate(service(s), List.of(slice)).services()
                .get(new ServiceKey("maglev", "svc-" + s)).frontends().stream()
                .filter(f -> f.address().ip().ipv4Bits() == Ipv4.parse(clusterIp(s)).bits()).findFirst().orElseThrow();
        MaglevTable expected = desired.maglev();
        Lb4Service entry = maps.service(frontend(s)).orElseThrow();
        assertThat(entry.flags() & DatapathConstants.LB_F_MAGLEV).isNotZero();
        assertThat(entry.backendCount()).as("distinct backends").isEqualTo(expected.backends().size());
        int[] table = maps.maglevTable(entry.serviceId()).orElseThrow();
        assertThat(table).hasSize(TABLE_SIZE);
        Map<Integer, Lb4Backend> backends = maps.backends();
        for (int slot = 0; slot < TABLE_SIZE; slot++) {
            int wanted = expected.backendAt(slot).address().ipv4Bits();
            if (backends.get(table[slot]).address().bits() != wanted) {
                throw new AssertionError("service " + s + " slot " + slot + ": backend id " + table[slot] + " is "
                        + backends.get(table[slot]) + ", service-lb's table has " + expected.backendAt(slot));
            }
        }
    }

    private static int serviceId(ServiceMaps maps, int s) {
        return maps.service(frontend(s)).orElseThrow().serviceId();
    }

    /**
     * What the kernel charges for one table: fdinfo's {@code memlock} (the map's memory use as the kernel accounts it;
     * the array itself is vmalloc'ed, so whole pages on top).
     */
    private static void printMemoryOfOneTable(BpfObject pod, ServiceMaps maps, Lb4Key frontend) throws Exception {
        int serviceId = maps.service(frontend).orElseThrow().serviceId();
        try (MaglevTables tables = MaglevTables.of(pod);
             BpfMap table = BpfMap.openById(tables.tableIds().get(serviceId)).orElseThrow()) {
            String memlock = Files.readAllLines(Path.of("/proc/self/fdinfo/" + table.fd())).stream()
                    .filter(line -> line.startsWith("memlock:")).findFirst().orElse("memlock: unknown");
            System.out.printf("one Maglev table of %d slots: array map '%s' of %d entries x %d bytes, kernel %s bytes"
                            + " (table data %d bytes)%n", TABLE_SIZE, table.name(), table.maxEntries(), table.valueSize(),
                    memlock, MaglevTables.tableBytes(TABLE_SIZE));
        }
    }

    private static Lb4Key frontend(int s) {
        return new Lb4Key(Ipv4.parse(clusterIp(s)), 80, IpProtocol.TCP, LbScope.INTERNAL);
    }

    private static Service service(int s) {
        return new ServiceBuilder().withNewMetadata().withNamespace("maglev").withName("svc-" + s)
                .addToAnnotations(LbAlgorithm.ANNOTATION, "maglev").endMetadata()
                .withNewSpec().withClusterIP(clusterIp(s)).withClusterIPs(clusterIp(s))
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(8080).endPort()
                .endSpec().build();
    }

    private static EndpointSlice slice(int s, int endpoints) {
        EndpointSliceBuilder b = new EndpointSliceBuilder()
                .withNewMetadata().withNamespace("maglev").withName("svc-" + s + "-1")
                .addToLabels("kubernetes.io/service-name", "svc-" + s).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort();
        for (String ip : endpointIps(s, endpoints)) {
            b.addNewEndpoint().withAddresses(ip).withNewConditions().withReady(true).endConditions().endEndpoint();
        }
        return b.build();
    }

    private static List<String> endpointIps(int s, int endpoints) {
        return IntStream.range(0, endpoints).mapToObj(k -> "10." + (20 + s / 256) + "." + (s % 256) + "." + (10 + k))
                .toList();
    }

    private static String clusterIp(int s) {
        return "10.96." + (s >> 8) + "." + (s & 255);
    }

    /** The agent's writer and service reconciler on {@code pod}'s maps, driven on the test's thread. */
    private final class Agent implements AutoCloseable {
        final AgentMetrics metrics = new AgentMetrics();
        final ServiceMaps maps;
        final ServiceReconciler reconciler;
        final StateWriter writer;

        Agent(BpfObject pod, InMemoryServiceSource source) {
            maps = ServiceMaps.of(pod);
            StableIdAllocator frontendIds = ServiceIds.openFrontendIds(state);
            StableIdAllocator backendIds = ServiceIds.openBackendIds(state);
            reconciler = new ServiceReconciler(new ServiceTranslator(config, node), maps, frontendIds, backendIds, metrics)
                    .owning(maps).owning(frontendIds).owning(backendIds);
            writer = new StateWriter(new EventQueue(1 << 12, metrics), List.of(source), List.of(reconciler), metrics);
            writer.onStart();
            source.start(writer.channelOf(source));
        }

        void runUntilReady() {
            WriterSteps.runUntilReady(writer, Duration.ofSeconds(60));
        }

        void runUntilIdle() {
            WriterSteps.runUntilIdle(writer);
        }

        long operations(String map, String op) {
            return (long) metrics.mapOperations(map, op).get();
        }

        @Override
        public void close() {
            reconciler.close();
        }
    }
}
