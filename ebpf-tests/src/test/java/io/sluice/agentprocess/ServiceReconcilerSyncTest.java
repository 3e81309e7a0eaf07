package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.ids.ServiceIds;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.services.ServiceReconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.ServiceMaps;
import io.sluice.servicelb.LbAlgorithm;
import io.sluice.servicelb.MaglevTable;
import io.sluice.servicelb.NodeContext;
import io.sluice.servicelb.ServiceLbConfig;
import io.sluice.servicelb.ServiceTranslator;
import io.sluice.testnet.KernelRequirements;
import io.sluice.testnet.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * The service reconciler at the end of a sync translates only what still waits, not every Service again: whatever
 * order Services and EndpointSlices arrive in before the sync (some only in the sync's snapshot, some deleted, some
 * changed to Maglev and back), over the maps a previous agent left (restarts), after the sync the maps hold what a
 * fresh agent writes from the same objects, and translating every Service again would write nothing. A Service
 * reconciled before the sync is not translated again at the sync.
 */
@Tag("kernel")
class ServiceReconcilerSyncTest {
    private static final String NAMESPACE = "sync";
    private static final int SERVICES = 5;
    private static final int ADDRESSES = 6;
    private static final ServiceLbConfig CONFIG = new ServiceLbConfig(MaglevTable.MIN_SIZE, 100);

    enum Kind { PUT_SERVICE, DELETE_SERVICE, PUT_SLICE, DELETE_SLICE, FLUSH }

    /** One change of the cluster (or a writer turn, FLUSH): service index, slice part, endpoint addresses. */
    record Op(Kind kind, int service, int part, Set<Integer> endpoints, boolean maglev) {
    }

    /** The agents' maps and a fresh agent's, loaded once (the verifier takes seconds) and emptied for each try. */
    private static BpfObject pod;
    private static BpfObject fresh;

    @BeforeContainer
    static void loadMaps() {
        if (!KernelRequirements.available()) {
            return;
        }
        pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
        pod.load();
        fresh = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
        fresh.load();
    }

    @AfterContainer
    static void closeMaps() {
        if (pod != null) {
            pod.close();
        }
        if (fresh != null) {
            fresh.close();
        }
    }

    @BeforeTry
    void emptyMaps() {
        if (pod == null) {
            return;
        }
        for (BpfObject object : List.of(pod, fresh)) {
            try (ServiceMaps maps = ServiceMaps.of(object)) {
                maps.services().forEach((key, service) -> maps.removeService(key, service.serviceId(), service.backendCount()));
                maps.maglevServiceIds().forEach(maps::removeMaglevTable);
                maps.removeBackends(maps.backends().keySet());
            }
        }
    }

    @Provide
    Arbitrary<List<List<Op>>> lifetimes() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, SERVICES - 1),
                Arbitraries.integers().between(0, 1), Arbitraries.integers().between(0, ADDRESSES - 1).set().ofMaxSize(4),
                Arbitraries.of(false, false, true)).as(Op::new);
        return op.list().ofMaxSize(30).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 100)
    void afterTheSyncTheMapsAreWhatAFullTranslationWrites(@ForAll("lifetimes") List<List<Op>> lifetimes,
                                                          @ForAll Random random) throws Exception {
        Assume.that(pod != null);
        Path state = Files.createTempDirectory("sluice-sync-state-");
        try {
            Map<ObjectKey, HasMetadata> cluster = new LinkedHashMap<>();
            for (int life = 0; life < lifetimes.size(); life++) {
                List<Op> lifetime = lifetimes.get(life);
                // Changes while no agent runs (after the first): what the maps hold becomes stale or orphaned.
                int down = life == 0 ? 0 : random.nextInt(lifetime.size() + 1);
                for (Op op : lifetime.subList(0, down)) {
                    apply(op, cluster, null, null);
                }
                // A restart: the new agent starts over the maps the last one left, the source not yet synced.
                InMemoryServiceSource source = notSyncedSource();
                Map<Lb4Key, String> held;
                try (ServiceMaps maps = ServiceMaps.of(pod)) {
                    held = frontends(maps);
                }
                try (Agent agent = new Agent(pod, state, source)) {
                    List<HasMetadata> known = new ArrayList<>(cluster.values());
                    Collections.shuffle(known, random);
                    for (HasMetadata object : known) {
                        source.put(object);
                        if (random.nextInt(5) > 0) { // the rest arrives only in the sync's snapshot
                            source.publish(object, false);
                        }
                        if (random.nextInt(3) == 0) {
                            agent.runUntilIdle();
                        }
                    }
                    for (Op op : lifetime.subList(down, lifetime.size())) {
                        apply(op, cluster, source, agent);
                    }
                    Map<Lb4Key, String> beforeSync = frontends(agent.maps);
                    beforeSync.keySet().retainAll(held.keySet());
                    assertThat(beforeSync).as("frontends the maps held at start, before the sync").isEqualTo(held);
                    source.synced = true;
                    agent.runUntilIdle();
                    assertThat(agent.writer.status().ready()).as("ready after the sync").isTrue();

                    Map<Lb4Key, String> synced = programmed(agent.maps);
                    assertThat(agent.retranslateEverything()).as("map operations of translating every Service again")
                            .isZero();
                    assertThat(programmed(agent.maps)).isEqualTo(synced);
                }
            }
            Path freshState = Files.createTempDirectory("sluice-sync-fresh-");
            try {
                InMemoryServiceSource all = new InMemoryServiceSource();
                cluster.values().forEach(all::put);
                try (Agent reference = new Agent(fresh, freshState, all)) {
                    reference.runUntilIdle();
                    try (ServiceMaps maps = ServiceMaps.of(pod)) {
                        assertThat(programmed(maps)).as("what the restarted agents left, against a fresh agent")
                                .isEqualTo(programmed(reference.maps));
                    }
                }
            } finally {
                Topology.deleteTree(freshState);
            }
        } finally {
            Topology.deleteTree(state);
        }
    }

    @Example
    void aServiceReconciledBeforeTheSyncIsNotTranslatedAgainAtTheSync() throws Exception {
        Assume.that(pod != null);
        Path state = Files.createTempDirectory("sluice-sync-state-");
        try {
            InMemoryServiceSource source = notSyncedSource();
            try (Agent agent = new Agent(pod, state, source)) {
                // Each translation of a dual-stack Service refuses its IPv6 frontend once (not programmed yet): the
                // refusal counter counts its translations.
                Service dualStack = new ServiceBuilder().withNewMetadata().withNamespace(NAMESPACE).withName("both")
                        .endMetadata().withNewSpec().withClusterIP("10.97.1.1").withClusterIPs("10.97.1.1", "fd00::1")
                        .withIpFamilies("IPv4", "IPv6").withIpFamilyPolicy("RequireDualStack")
                        .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(8080).endPort()
                        .endSpec().build();
                source.put(dualStack);
                source.publish(dualStack, false);
                EndpointSlice slice = slice("both", 0, Set.of(1, 2));
                source.put(slice);
                source.publish(slice, false);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps)).as("programmed before the sync").hasSize(1);
                assertThat(agent.ipv6Refusals()).as("translations before the sync").isEqualTo(1);

                source.synced = true;
                agent.runUntilIdle();
                assertThat(agent.writer.status().ready()).isTrue();
                assertThat(agent.ipv6Refusals()).as("translations once the store synced").isEqualTo(1);

                EndpointSlice moved = slice("both", 0, Set.of(3));
                source.put(moved);
                source.publish(moved, false);
                agent.runUntilIdle();
                assertThat(agent.ipv6Refusals()).as("translations after a change").isEqualTo(2);
                assertThat(programmed(agent.maps).values()).containsExactly("flags=0 [10.98.0.3:8080]");
            }
        } finally {
            Topology.deleteTree(state);
        }
    }

    @Example
    void aServiceListedBeforeItsEndpointSlicesIsWrittenOnceWithItsBackends() throws Exception {
        Assume.that(pod != null);
        Path state = Files.createTempDirectory("sluice-sync-state-");
        try {
            InMemoryServiceSource source = notSyncedSource();
            try (Agent agent = new Agent(pod, state, source)) {
                // The refusal of the dual-stack Services' IPv6 frontends counts their translations.
                Service listedFirst = dualStack("first", "10.97.2.1", "fd00::2:1");
                Service withoutEndpoints = dualStack("empty", "10.97.2.2", "fd00::2:2");
                for (Service s : List.of(listedFirst, withoutEndpoints)) {
                    source.put(s);
                    source.publish(s, false);
                }
                agent.runUntilIdle();
                assertThat(programmed(agent.maps)).as("Services without a slice, before the sync").isEmpty();
                assertThat(agent.ipv6Refusals()).as("translations of Services without a slice").isZero();

                EndpointSlice slice = slice("first", 0, Set.of(1, 2));
                source.put(slice);
                source.publish(slice, false);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps).values()).as("once its slice came")
                        .containsExactly("flags=0 [10.98.0.1:8080, 10.98.0.2:8080]");
                assertThat(agent.ipv6Refusals()).as("translations once its slice came").isEqualTo(1);

                source.synced = true;
                agent.runUntilIdle();
                assertThat(agent.writer.status().ready()).isTrue();
                assertThat(programmed(agent.maps).values()).as("after the sync: the Service without endpoints rejects")
                        .containsExactlyInAnyOrder("flags=0 [10.98.0.1:8080, 10.98.0.2:8080]", "flags=0 []");
                assertThat(agent.ipv6Refusals()).as("translations at the sync: only the one without endpoints")
                        .isEqualTo(2);

                source.remove(slice);
                source.publish(slice, true);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps).values()).as("after the sync a Service that lost its slice is written")
                        .containsExactly("flags=0 []", "flags=0 []");
            }
        } finally {
            Topology.deleteTree(state);
        }
    }

    @Example
    void aServiceWithoutEndpointsIsWrittenOnceTheEndpointSlicesAreListedThoughAnotherKindIsNot() throws Exception {
        Assume.that(pod != null);
        Path state = Files.createTempDirectory("sluice-sync-state-");
        try {
            InMemoryServiceSource source = notSyncedSource();
            // NetworkPolicies whose list the API server refuses (RBAC): the store does not sync.
            InMemoryServiceSource policies = new InMemoryServiceSource("policies", EnumSet.of(ResourceKind.NETWORK_POLICY));
            policies.synced = false;
            try (Agent agent = new Agent(pod, state, List.of(source, policies))) {
                Service withEndpoints = dualStack("first", "10.97.3.1", "fd00::3:1");
                Service withoutEndpoints = dualStack("empty", "10.97.3.2", "fd00::3:2");
                for (Service s : List.of(withEndpoints, withoutEndpoints)) {
                    source.put(s);
                    source.publish(s, false);
                }
                source.put(slice("first", 0, Set.of(1, 2))); // only in the list's snapshot
                agent.runUntilIdle();
                assertThat(programmed(agent.maps)).as("before the EndpointSlices are listed").isEmpty();

                source.synced = true;
                agent.runUntilIdle();
                assertThat(agent.writer.status().ready()).as("ready without the NetworkPolicies").isFalse();
                assertThat(programmed(agent.maps).values())
                        .as("EndpointSlices listed, NetworkPolicies not: the Service without endpoints rejects")
                        .containsExactlyInAnyOrder("flags=0 [10.98.0.1:8080, 10.98.0.2:8080]", "flags=0 []");
                assertThat(agent.ipv6Refusals()).as("translations: each Service once").isEqualTo(2);

                Service later = dualStack("later", "10.97.3.3", "fd00::3:3");
                source.put(later);
                source.publish(later, false);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps).values()).as("a Service without endpoints that comes afterwards")
                        .containsExactlyInAnyOrder("flags=0 [10.98.0.1:8080, 10.98.0.2:8080]", "flags=0 []", "flags=0 []");
            }
        } finally {
            Topology.deleteTree(state);
        }
    }

    private static Service dualStack(String name, String ipv4, String ipv6) {
        return new ServiceBuilder().withNewMetadata().withNamespace(NAMESPACE).withName(name).endMetadata()
                .withNewSpec().withClusterIP(ipv4).withClusterIPs(ipv4, ipv6).withIpFamilies("IPv4", "IPv6")
                .withIpFamilyPolicy("RequireDualStack")
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(8080).endPort()
                .endSpec().build();
    }

    @Example
    void aRestartedAgentChangesNoFrontendTheMapsHeldUntilItsStoreIsSynced() throws Exception {
        Assume.that(pod != null);
        Path state = Files.createTempDirectory("sluice-sync-state-");
        try {
            Service service = service(0, false);
            EndpointSlice first = slice("svc-0", 0, Set.of(1, 2));
            EndpointSlice second = slice("svc-0", 1, Set.of(3, 4));
            Map<Lb4Key, String> before;
            InMemoryServiceSource source = notSyncedSource();
            try (Agent agent = new Agent(pod, state, source)) {
                for (HasMetadata object : List.of(service, first, second)) {
                    source.put(object);
                    source.publish(object, false);
                }
                source.synced = true;
                agent.runUntilIdle();
                before = programmed(agent.maps);
                assertThat(before.values()).singleElement().asString().contains("10.98.0.1", "10.98.0.3");
            }
            // A restart where the list brings the Service before its EndpointSlices (pages, kinds listed in parallel):
            // until the store is complete the frontend keeps every backend it had, so no new connection fails or
            // goes to fewer backends, and no flow of a backend that only seems gone is flushed.
            InMemoryServiceSource restarted = notSyncedSource();
            try (Agent agent = new Agent(pod, state, restarted)) {
                restarted.put(service);
                restarted.publish(service, false);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps)).as("the Service alone, before the sync").isEqualTo(before);
                restarted.put(first);
                restarted.publish(first, false);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps)).as("one of its two slices, before the sync").isEqualTo(before);
                int backendIdsHeld = agent.backendIds.size();
                EndpointSlice withNewEndpoint = slice("svc-0", 1, Set.of(3, 4, 9));
                restarted.put(withNewEndpoint);
                restarted.publish(withNewEndpoint, false);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps)).as("a slice with an endpoint new to the maps, before the sync")
                        .isEqualTo(before);
                assertThat(agent.backendIds.size()).as("backend ids, none taken for a held frontend's new backend")
                        .isEqualTo(backendIdsHeld);

                restarted.put(second);
                restarted.publish(second, false);
                restarted.synced = true;
                agent.runUntilIdle();
                assertThat(agent.writer.status().ready()).isTrue();
                assertThat(programmed(agent.maps)).as("after the sync").isEqualTo(before);

                EndpointSlice shrunk = slice("svc-0", 1, Set.of());
                restarted.put(shrunk);
                restarted.publish(shrunk, false);
                agent.runUntilIdle();
                assertThat(programmed(agent.maps).values()).as("a change after the sync")
                        .containsExactly("flags=0 [10.98.0.1:8080, 10.98.0.2:8080]");
            }
        } finally {
            Topology.deleteTree(state);
        }
    }

    /** Applies {@code op} to the cluster and, when an agent runs (non-null), publishes it or runs the writer. */
    private static void apply(Op op, Map<ObjectKey, HasMetadata> cluster, InMemoryServiceSource source, Agent agent) {
        HasMetadata object = switch (op.kind()) {
            case PUT_SERVICE, DELETE_SERVICE -> service(op.service(), op.maglev());
            case PUT_SLICE, DELETE_SLICE -> slice("svc-" + op.service(), op.part(), op.endpoints());
            case FLUSH -> null;
        };
        if (object == null) {
            if (agent != null) {
                agent.runUntilIdle();
            }
            return;
        }
        ObjectKey key = ObjectKey.of(ResourceKind.of(object), object);
        boolean deleted = op.kind() == Kind.DELETE_SERVICE || op.kind() == Kind.DELETE_SLICE;
        if (deleted) {
            if (cluster.remove(key) != null && source != null) {
                source.remove(object);
                source.publish(object, true);
            }
        } else {
            cluster.put(key, object);
            if (source != null) {
                source.put(object);
                source.publish(object, false);
            }
        }
    }

    /**
     * Every frontend with what it balances to, by address, so that two agents' maps compare whatever ids they chose:
     * flags, then the slots (a Maglev frontend: its table) as backend addresses. Also checks that no backend and no
     * Maglev table is left that no frontend uses.
     */
    private static Map<Lb4Key, String> programmed(ServiceMaps maps) {
        return describe(maps, true);
    }

    /** As {@link #programmed} without the check for unused backends and tables (a store not synced yet may leave some). */
    private static Map<Lb4Key, String> frontends(ServiceMaps maps) {
        return describe(maps, false);
    }

    private static Map<Lb4Key, String> describe(ServiceMaps maps, boolean checkUnused) {
        Map<Integer, Lb4Backend> backends = maps.backends();
        Map<Lb4Key, String> out = new TreeMap<>(Comparator.comparing(Lb4Key::toString));
        Set<Integer> used = new HashSet<>();
        Set<Integer> tables = new HashSet<>();
        for (Map.Entry<Lb4Key, Lb4Service> e : maps.services().entrySet()) {
            Lb4Service service = e.getValue();
            List<Integer> ids;
            if ((service.flags() & DatapathConstants.LB_F_MAGLEV) != 0) {
                ids = maps.maglevTable(service.serviceId()).stream().flatMapToInt(Arrays::stream).boxed().toList();
                tables.add(service.serviceId());
            } else {
                ids = maps.slotsOf(service.serviceId(), service.backendCount());
            }
            used.addAll(ids);
            List<String> reached = ids.stream().map(id -> backends.containsKey(id)
                    ? backends.get(id).address() + ":" + backends.get(id).port() : "none#" + id).toList();
            // A Maglev table (hundreds of slots) as its distinct backends and a hash of the slot order.
            out.put(e.getKey(), "flags=" + service.flags() + " " + (tables.contains(service.serviceId())
                    ? "maglev#" + reached.hashCode() + " " + new TreeSet<>(reached) : reached));
        }
        if (checkUnused) {
            assertThat(backends.keySet()).as("backends no frontend uses").isEqualTo(used);
            assertThat(maps.maglevServiceIds()).as("Maglev tables no frontend uses").isEqualTo(tables);
        }
        return out;
    }

    private static Service service(int s, boolean maglev) {
        ServiceBuilder b = new ServiceBuilder().withNewMetadata().withNamespace(NAMESPACE).withName("svc-" + s)
                .endMetadata();
        if (maglev) {
            b.editMetadata().addToAnnotations(LbAlgorithm.ANNOTATION, LbAlgorithm.MAGLEV.annotationValue()).endMetadata();
        }
        String ip = "10.97.0." + (s + 1);
        return b.withNewSpec().withClusterIP(ip).withClusterIPs(ip)
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(8080).endPort()
                .endSpec().build();
    }

    private static EndpointSlice slice(String service, int part, Set<Integer> endpoints) {
        EndpointSliceBuilder b = new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(service + "-" + part)
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort();
        for (int address : endpoints) {
            b.addNewEndpoint().withAddresses("10.98.0." + address).withNewConditions().withReady(true).endConditions()
                    .endEndpoint();
        }
        return b.build();
    }

    /** A source whose list is not complete until the test sets {@code synced}. */
    private static InMemoryServiceSource notSyncedSource() {
        InMemoryServiceSource source = new InMemoryServiceSource();
        source.synced = false;
        return source;
    }

    /** The writer and the service reconciler on an object's maps, run on the test's thread. */
    private static final class Agent implements AutoCloseable {
        final AgentMetrics metrics = new AgentMetrics();
        final ServiceMaps maps;
        final ServiceReconciler reconciler;
        final StateWriter writer;
        final StableIdAllocator backendIds;

        Agent(BpfObject pod, Path state, InMemoryServiceSource source) {
            this(pod, state, List.of(source));
        }

        Agent(BpfObject pod, Path state, List<InMemoryServiceSource> sources) {
            maps = ServiceMaps.of(pod);
            StableIdAllocator frontendIds = ServiceIds.openFrontendIds(state);
            backendIds = ServiceIds.openBackendIds(state);
            reconciler = new ServiceReconciler(new ServiceTranslator(CONFIG, NodeContext.parse("node-1", List.of(), List.of())),
                    maps, frontendIds, backendIds, metrics).owning(maps).owning(frontendIds).owning(backendIds);
            writer = new StateWriter(new EventQueue(1 << 12, metrics), sources, List.of(reconciler), metrics);
            writer.onStart();
            sources.forEach(source -> source.start(writer.channelOf(source)));
        }

        /** Runs the writer until three duty cycles in a row found nothing to do. */
        void runUntilIdle() {
            int quiet = 0;
            while (quiet < 3) {
                quiet = writer.doWork() == 0 ? quiet + 1 : 0;
            }
        }

        /** Marks every Service in the store changed, as the sync used to, and flushes: the map operations it did. */
        int retranslateEverything() {
            List<ObjectKey> services = new ArrayList<>();
            writer.store().forEach(ResourceKind.SERVICE, s -> services.add(ObjectKey.of(ResourceKind.SERVICE, s)));
            services.forEach(key -> reconciler.onChange(key, writer.store()));
            return reconciler.flush();
        }

        long ipv6Refusals() {
            Map<String, Double> byReason = new HashMap<>();
            metrics.registry().scrape().stream()
                    .filter(s -> s.getMetadata().getName().equals("sluice_objects_refused"))
                    .flatMap(s -> s.getDataPoints().stream())
                    .forEach(p -> byReason.put(p.getLabels().get("reason"),
                            ((CounterDataPointSnapshot) p).getValue()));
            return byReason.getOrDefault("ipv6_not_programmed", 0.0).longValue();
        }

        @Override
        public void close() {
            reconciler.close();
        }
    }
}
