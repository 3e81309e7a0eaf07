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
import io.sluice.loader.BpfObject;
import io.sluice.maps.Codec;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.LbScope;
import io.sluice.maps.MapName;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.TypedMap;
import io.sluice.servicelb.NodeContext;
import io.sluice.servicelb.ServiceLbConfig;
import io.sluice.servicelb.ServiceTranslator;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The service reconciler writes many Services per batch syscall (more Services than one batch holds here, so a flush
 * spans several): after a first sync, and after a burst of changes in one flush (endpoints replaced, Services shrunk
 * to fewer slots, deleted, a cluster IP handed from a deleted Service to a new one, backends shared between Services),
 * the pinned maps hold exactly what the Services ask for: every frontend's slots point at its endpoints, no slot
 * beyond a frontend's count, no backend that no slot points at. A restarted reconciler rewrites nothing, also when its
 * state directory (the id files) was lost.
 */
@KernelTest
class ServiceReconcilerBatchTest {
    private static final int SERVICES = 2_500;
    private static final int ENDPOINTS = 3;

    private Path state;

    @BeforeEach
    void stateDir() throws Exception {
        state = Files.createTempDirectory("sluice-batch-state-");
    }

    @AfterEach
    void removeStateDir() throws Exception {
        Topology.deleteTree(state);
    }

    @Test
    void aBurstOfChangesAcrossSeveralBatchesLeavesExactlyTheDesiredMaps() throws Exception {
        assertThat(SERVICES).as("a flush of several batches").isGreaterThan(2 * 1024);
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            InMemoryServiceSource source = new InMemoryServiceSource();
            // Desired endpoints by cluster IP: what the maps must hold for each frontend.
            Map<String, List<String>> desired = new TreeMap<>();
            for (int s = 0; s < SERVICES; s++) {
                List<String> endpoints = endpoints(s, 0, ENDPOINTS);
                source.put(service("svc-" + s, clusterIp(s)));
                source.put(slice("svc-" + s, endpoints));
                desired.put(clusterIp(s), endpoints);
            }
            try (Agent agent = new Agent(pod, source)) {
                agent.runUntilReady();
                assertMapsHoldExactly(pod, agent.maps, desired);
                Set<String> distinctEndpoints = new HashSet<>();
                desired.values().forEach(distinctEndpoints::addAll);
                assertThat(agent.operations(MapName.LB4_BACKENDS.cName(), "update")).as("each backend written once")
                        .isEqualTo(distinctEndpoints.size());

                // One burst, one flush: every third Service gets new endpoints, every fifth shrinks to one slot,
                // every seventh is deleted, and the last deleted one's cluster IP goes to a new Service.
                String handedOver = null;
                for (int s = 0; s < SERVICES; s++) {
                    if (s % 7 == 0) {
                        Service deleted = service("svc-" + s, clusterIp(s));
                        source.remove(deleted);
                        agent.publish(ResourceKind.SERVICE, true, deleted);
                        desired.remove(clusterIp(s));
                        handedOver = clusterIp(s);
                    } else if (s % 5 == 0) {
                        List<String> one = endpoints(s, 0, 1);
                        agent.change(source, slice("svc-" + s, one));
                        desired.put(clusterIp(s), one);
                    } else if (s % 3 == 0) {
                        List<String> moved = endpoints(s, 1, ENDPOINTS);
                        agent.change(source, slice("svc-" + s, moved));
                        desired.put(clusterIp(s), moved);
                    }
                }
                List<String> heirEndpoints = List.of("10.250.0.1", "10.250.0.2");
                Service heir = service("heir", handedOver);
                source.put(heir);
                agent.publish(ResourceKind.SERVICE, false, heir);
                agent.change(source, slice("heir", heirEndpoints));
                desired.put(handedOver, heirEndpoints);
                agent.runUntilIdle();
                assertMapsHoldExactly(pod, agent.maps, desired);
            }

            try (Agent restarted = new Agent(pod, source)) {
                restarted.runUntilReady();
                assertThat(restarted.operations(MapName.LB4_BACKENDS.cName(), "update")).as("backends rewritten").isZero();
                assertThat(restarted.operations(MapName.LB4_SERVICES.cName(), "update")).as("frontends rewritten").isZero();
                assertMapsHoldExactly(pod, restarted.maps, desired);
            }

            // The state directory lost (a new node image, a wiped disk) while the pinned maps stayed: the ids come
            // back from the maps, so nothing is rewritten and no id the maps hold goes to another object.
            Topology.deleteTree(state);
            Files.createDirectories(state);
            try (Agent restarted = new Agent(pod, source)) {
                restarted.runUntilReady();
                assertThat(restarted.operations(MapName.LB4_BACKENDS.cName(), "update")).as("backends rewritten").isZero();
                assertThat(restarted.operations(MapName.LB4_SERVICES.cName(), "update")).as("frontends rewritten").isZero();
                assertMapsHoldExactly(pod, restarted.maps, desired);
            }
        }
    }

    /** Every frontend wanted and no other; its slots are its endpoints; no stray slot; no backend without a slot. */
    private static void assertMapsHoldExactly(BpfObject pod, ServiceMaps maps, Map<String, List<String>> desired) {
        Map<Lb4Key, Lb4Service> frontends = maps.services();
        Map<Integer, Lb4Backend> backends = maps.backends();
        Map<Lb4SlotKey, Integer> slots;
        try (TypedMap<Lb4SlotKey, Integer> slotMap = new TypedMap<>(pod.map(MapName.LB4_SLOTS.cName()), Lb4SlotKey.CODEC, Codec.UINT32)) {
            slots = slotMap.entries();
        }
        assertThat(frontends.keySet()).containsExactlyInAnyOrderElementsOf(
                desired.keySet().stream().map(ServiceReconcilerBatchTest::frontend).toList());
        Set<Integer> referenced = new HashSet<>();
        int slotCount = 0;
        for (Map.Entry<String, List<String>> e : desired.entrySet()) {
            Lb4Service service = frontends.get(frontend(e.getKey()));
            assertThat(service.backendCount()).as("backend count of %s", e.getKey()).isEqualTo(e.getValue().size());
            List<String> reached = new ArrayList<>();
            for (int slot = 0; slot < service.backendCount(); slot++) {
                Integer id = slots.get(new Lb4SlotKey(service.serviceId(), slot));
                assertThat(id).as("slot %d of %s", slot, e.getKey()).isNotNull();
                Lb4Backend backend = backends.get(id);
                assertThat(backend).as("backend %d in slot %d of %s", id, slot, e.getKey()).isNotNull();
                assertThat(backend.port()).isEqualTo(8080);
                reached.add(backend.address().toString());
                referenced.add(id);
            }
            assertThat(reached).as("endpoints of %s", e.getKey()).containsExactlyInAnyOrderElementsOf(e.getValue());
            slotCount += service.backendCount();
        }
        assertThat(slots).as("slots beyond the frontends' counts").hasSize(slotCount);
        assertThat(backends.keySet()).as("backends no slot points at").containsExactlyInAnyOrderElementsOf(referenced);
    }

    private static Lb4Key frontend(String clusterIp) {
        return new Lb4Key(Ipv4.parse(clusterIp), 80, IpProtocol.TCP, LbScope.INTERNAL);
    }

    private static String clusterIp(int s) {
        return "10.96." + (s >> 8) + "." + (s & 255);
    }

    /**
     * Endpoints {@code from..to-1} of service {@code s}; endpoint 0 of services 2k and 2k+1 is one address, so
     * backends are shared between Services.
     */
    private static List<String> endpoints(int s, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int k = from; k < to; k++) {
            int n = k == 0 ? (s / 2) * ENDPOINTS : s * ENDPOINTS + k;
            out.add("10.100." + (n >> 8) + "." + (n & 255));
        }
        return out;
    }

    private static Service service(String name, String clusterIp) {
        return new ServiceBuilder().withNewMetadata().withNamespace("batch").withName(name).endMetadata()
                .withNewSpec().withClusterIP(clusterIp).withClusterIPs(clusterIp)
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(8080).endPort()
                .endSpec().build();
    }

    private static EndpointSlice slice(String service, List<String> addresses) {
        EndpointSliceBuilder b = new EndpointSliceBuilder()
                .withNewMetadata().withNamespace("batch").withName(service + "-1")
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort();
        for (String address : addresses) {
            b.addNewEndpoint().withAddresses(address).withNewConditions().withReady(true).endConditions().endEndpoint();
        }
        return b.build();
    }

    /** The writer and the service reconciler on the object's maps, run on the test's thread. */
    private final class Agent implements AutoCloseable {
        final AgentMetrics metrics = new AgentMetrics();
        final ServiceMaps maps;
        final ServiceReconciler reconciler;
        final StateWriter writer;
        private final InMemoryServiceSource source;

        Agent(BpfObject pod, InMemoryServiceSource source) {
            this.source = source;
            maps = ServiceMaps.of(pod);
            StableIdAllocator frontendIds = ServiceIds.openFrontendIds(state);
            StableIdAllocator backendIds = ServiceIds.openBackendIds(state);
            reconciler = new ServiceReconciler(new ServiceTranslator(
                    new ServiceLbConfig(16381, ServiceLbConfig.DEFAULT_MAX_BACKENDS_PER_SERVICE),
                    NodeContext.parse("node-1", List.of(), List.of())), maps, frontendIds, backendIds, metrics)
                    .owning(maps).owning(frontendIds).owning(backendIds);
            writer = new StateWriter(new EventQueue(1 << 14, metrics), List.of(source), List.of(reconciler), metrics);
            writer.onStart();
            source.start(writer.channelOf(source));
        }

        /** Publishes without running the writer, so a whole burst lands in one flush. */
        void publish(ResourceKind kind, boolean deleted, io.fabric8.kubernetes.api.model.HasMetadata object) {
            source.channel.publish(kind, deleted, object);
        }

        void change(InMemoryServiceSource into, EndpointSlice slice) {
            into.put(slice);
            publish(ResourceKind.ENDPOINT_SLICE, false, slice);
        }

        void runUntilReady() {
            WriterSteps.runUntilReady(writer, Duration.ofSeconds(120));
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
