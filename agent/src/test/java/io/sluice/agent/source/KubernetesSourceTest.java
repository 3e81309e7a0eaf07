package io.sluice.agent.source;

import static io.sluice.agent.testsupport.TestObjects.service;
import static io.sluice.agent.testsupport.TestObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.RecordingReconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.agent.writer.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Informers against fabric8's mock API server in CRUD mode, the writer driven on the test thread: the store and
 * the reconciler follow creates, updates and deletes; resyncs cause no reconciler call.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSourceTest {
    private static final ObjectKey WEB = new ObjectKey(ResourceKind.SERVICE, "default", "web");
    private static final ObjectKey WEB_SLICE = new ObjectKey(ResourceKind.ENDPOINT_SLICE, "default", "web-abc");

    static KubernetesClient client;

    private final AgentMetrics metrics = new AgentMetrics();
    private final RecordingReconciler reconciler = new RecordingReconciler();
    private final List<KubernetesSource> sources = new ArrayList<>();
    private StateWriter writer;

    @BeforeEach
    void cleanCluster() {
        client.services().inAnyNamespace().delete();
        client.discovery().v1().endpointSlices().inAnyNamespace().delete();
    }

    @AfterEach
    void stopSources() {
        sources.forEach(KubernetesSource::close);
    }

    private KubernetesSource start(Duration resync, ResourceKind... kinds) throws InterruptedException {
        KubernetesSource source = new KubernetesSource(client, EnumSet.of(kinds[0], kinds), resync);
        sources.add(source);
        writer = new StateWriter(new EventQueue(4096, metrics), List.of(source), List.of(reconciler), metrics);
        source.start(writer.channelOf(source));
        assertThat(source.awaitSynced(Duration.ofSeconds(20))).isTrue();
        runWriterUntil(() -> writer.status().ready(), "the writer to become ready");
        return source;
    }

    private void runWriterUntil(BooleanSupplier condition, String what) {
        Await.until(() -> {
            writer.doWork();
            return condition.getAsBoolean();
        }, () -> what + "; changes seen: " + reconciler.changes);
    }

    private Store store() {
        return writer.store();
    }

    @Test
    void theStoreAndTheReconcilerFollowCreateUpdateAndDeleteOfServicesAndEndpointSlices() throws Exception {
        start(Duration.ZERO, ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE);

        client.services().inNamespace("default").resource(service("default", "web", null, 80)).create();
        client.discovery().v1().endpointSlices().inNamespace("default")
                .resource(slice("default", "web-abc", "web", null, "10.0.0.5")).create();
        runWriterUntil(() -> store().get(WEB) != null && !store().endpointSlicesOf("default", "web").isEmpty(),
                "the service and its slice in the store");
        assertThat(reconciler.changesOf(WEB)).hasSize(1);

        Service updated = client.services().inNamespace("default").withName("web")
                .edit(s -> { s.getSpec().getPorts().getFirst().setPort(8443); return s; });
        runWriterUntil(() -> portOf(store().get(WEB, Service.class)) == 8443, "the updated port");
        assertThat(reconciler.changesOf(WEB).getLast().resourceVersion())
                .isEqualTo(updated.getMetadata().getResourceVersion());

        client.discovery().v1().endpointSlices().inNamespace("default").withName("web-abc")
                .edit(s -> { s.getEndpoints().getFirst().setAddresses(List.of("10.0.0.6")); return s; });
        runWriterUntil(() -> store().endpointSlicesOf("default", "web").getFirst().getEndpoints().getFirst()
                .getAddresses().equals(List.of("10.0.0.6")), "the slice's new address");

        client.services().inNamespace("default").withName("web").delete();
        client.discovery().v1().endpointSlices().inNamespace("default").withName("web-abc").delete();
        runWriterUntil(() -> store().get(WEB) == null && store().endpointSlicesOf("default", "web").isEmpty(),
                "both deleted");
        assertThat(reconciler.changesOf(WEB).getLast().object()).isNull();
        assertThat(reconciler.changesOf(WEB_SLICE).getLast().object()).isNull();
    }

    private static int portOf(Service s) {
        return s == null ? -1 : s.getSpec().getPorts().getFirst().getPort();
    }

    @Test
    void theInformerAndTheWriterShareOneCompactedCopyOfEachObject() throws Exception {
        createWebAndItsSlice();
        KubernetesSource source = start(Duration.ZERO, ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE);
        client.discovery().v1().endpointSlices().inNamespace("default")
                .resource(slice("default", "web-def", "web", null, "10.0.0.7")).create();
        ObjectKey watched = new ObjectKey(ResourceKind.ENDPOINT_SLICE, "default", "web-def");
        runWriterUntil(() -> store().get(watched) != null, "the slice created after the list");

        for (ObjectKey key : List.of(WEB_SLICE, watched)) { // one from the list, one from the watch
            EndpointSlice held = store().get(key, EndpointSlice.class);
            assertThat(source.snapshot(ResourceKind.ENDPOINT_SLICE)).as("the informer's copy of %s", key)
                    .anySatisfy(cached -> assertThat(cached).isSameAs(held));
            assertThat(held.getAdditionalProperties()).as("fabric8's empty map, compacted").isSameAs(Map.of());
            assertThat(held.getEndpoints().getFirst().getAddresses()).isUnmodifiable();
            assertThat(held.getMetadata().getLabels()).as("labels, an immutable copy").isUnmodifiable()
                    .containsEntry("kubernetes.io/service-name", "web");
        }
        assertThat(store().get(WEB).getMetadata().getNamespace()).as("a namespace string shared by the objects in it")
                .isSameAs(store().get(WEB_SLICE).getMetadata().getNamespace());
    }

    @Test
    void aWatchedSlicesNewVersionHoldsItsUnmovedEndpointsAsTheVersionBeforeAndLeavesThatVersionAsItWas() throws Exception {
        client.discovery().v1().endpointSlices().inNamespace("default").resource(new EndpointSliceBuilder()
                .withNewMetadata().withNamespace("default").withName("web-abc")
                .addToLabels(Store.SERVICE_NAME_LABEL, "web").endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses("10.0.0.1").withNewConditions().withReady(true).endConditions().endEndpoint()
                .addNewEndpoint().withAddresses("10.0.0.2").withNewConditions().withReady(true).endConditions().endEndpoint()
                .addNewEndpoint().withAddresses("10.0.0.3").withNewConditions().withReady(true).endConditions().endEndpoint()
                .addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort()
                .build()).create();
        start(Duration.ZERO, ResourceKind.ENDPOINT_SLICE);
        EndpointSlice before = store().get(WEB_SLICE, EndpointSlice.class);
        EndpointSlice copyBefore = client.getKubernetesSerialization().clone(before);

        client.discovery().v1().endpointSlices().inNamespace("default").withName("web-abc")
                .edit(s -> { s.getEndpoints().get(1).setAddresses(List.of("10.0.0.9")); return s; });
        runWriterUntil(() -> store().get(WEB_SLICE, EndpointSlice.class) != before, "the slice's new version");

        EndpointSlice after = store().get(WEB_SLICE, EndpointSlice.class);
        assertThat(after.getEndpoints()).extracting(e -> e.getAddresses().getFirst())
                .containsExactly("10.0.0.1", "10.0.0.9", "10.0.0.3");
        assertThat(after.getEndpoints().get(0)).isSameAs(before.getEndpoints().get(0));
        assertThat(after.getEndpoints().get(2)).isSameAs(before.getEndpoints().get(2));
        assertThat(after.getPorts()).isSameAs(before.getPorts());
        assertThat(after.getMetadata()).isNotSameAs(before.getMetadata());
        assertThat(after.getMetadata().getResourceVersion()).isNotEqualTo(before.getMetadata().getResourceVersion());
        assertThat(before).as("the version the writer held before").isEqualTo(copyBefore);
    }

    @Test
    void anEndpointSliceCreatedBeforeItsServiceIsSeenWithItOnceBothExist() throws Exception {
        start(Duration.ZERO, ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE);

        client.discovery().v1().endpointSlices().inNamespace("default")
                .resource(slice("default", "web-abc", "web", null, "10.0.0.5")).create();
        runWriterUntil(() -> store().get(WEB_SLICE) != null, "the slice");
        assertThat(store().get(WEB)).isNull();

        client.services().inNamespace("default").resource(service("default", "web", null, 80)).create();
        runWriterUntil(() -> store().get(WEB) != null, "the service");

        // When the reconciler is told about the Service, the store already joins it with its slice.
        List<EndpointSlice> slices = store().endpointSlicesOf("default", "web");
        assertThat(slices).extracting(s -> s.getEndpoints().getFirst().getAddresses().getFirst()).containsExactly("10.0.0.5");
        assertThat(reconciler.changesOf(WEB)).hasSize(1);
    }

    @Test
    void periodicResyncsOfAnUnchangedClusterCauseNoReconcilerCall() throws Exception {
        createWebAndItsSlice();
        // Informers replay their cache every second (fabric8's minimum) as updates with the same resourceVersion.
        KubernetesSource source = start(Duration.ofSeconds(1), ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE);
        runWriterUntil(() -> store().get(WEB) != null && store().get(WEB_SLICE) != null, "the initial list");
        reconciler.changes.clear();

        long before = source.unchangedUpdates();
        runWriterUntil(() -> source.unchangedUpdates() >= before + 2, "a resync round of both objects");
        createCanary();

        assertThat(reconciler.changes).extracting(c -> c.key().name()).containsExactly("canary");
    }

    @Test
    void aFreshListOfAnUnchangedClusterCausesNoReconcilerCall() throws Exception {
        createWebAndItsSlice();
        RestartableSource source = new RestartableSource();
        writer = new StateWriter(new EventQueue(4096, metrics), List.of(source), List.of(reconciler), metrics);
        source.start(writer.channelOf(source));
        runWriterUntil(() -> writer.status().ready() && store().get(WEB) != null && store().get(WEB_SLICE) != null,
                "the first list");
        reconciler.changes.clear();

        source.restart(); // new informers: a new list and watch, as after a restarted watch or a lost connection
        runWriterUntil(() -> source.current.synced(ResourceKind.SERVICE), "the second list");
        createCanary();

        assertThat(reconciler.changes).extracting(c -> c.key().name()).containsExactly("canary");
        assertThat(writer.status().ready()).isTrue();
    }

    private void createWebAndItsSlice() {
        client.services().inNamespace("default").resource(service("default", "web", null, 80)).create();
        client.discovery().v1().endpointSlices().inNamespace("default")
                .resource(slice("default", "web-abc", "web", null, "10.0.0.5")).create();
    }

    /** A change after the no-op events: once the writer has seen it, it has drained everything queued before it. */
    private void createCanary() {
        client.services().inNamespace("default").resource(service("default", "canary", null, 81)).create();
        runWriterUntil(() -> store().get(new ObjectKey(ResourceKind.SERVICE, "default", "canary")) != null, "the canary");
    }

    /** Delegates to a KubernetesSource that {@link #restart()} replaces with a new one on the same channel. */
    private final class RestartableSource implements ResourceSource {
        private final EnumSet<ResourceKind> kinds = EnumSet.of(ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE);
        volatile KubernetesSource current;
        private EventChannel channel;

        @Override
        public String name() {
            return "kubernetes";
        }

        @Override
        public java.util.Set<ResourceKind> kinds() {
            return kinds;
        }

        @Override
        public void start(EventChannel channel) {
            this.channel = channel;
            current = new KubernetesSource(client, kinds, Duration.ZERO);
            sources.add(current);
            current.start(channel);
        }

        void restart() throws InterruptedException {
            // The next informers list before the old ones close: the mock server blocks its event loop for
            // seconds when a client closes a watch, which would otherwise stall the new list.
            KubernetesSource next = new KubernetesSource(client, kinds, Duration.ZERO);
            sources.add(next);
            next.start(channel);
            assertThat(next.awaitSynced(Duration.ofSeconds(20))).isTrue();
            KubernetesSource previous = current;
            current = next;
            previous.close();
        }

        @Override
        public boolean synced(ResourceKind kind) {
            return current.synced(kind);
        }

        @Override
        public String notSyncedReason(ResourceKind kind) {
            return current.notSyncedReason(kind);
        }

        @Override
        public java.util.Collection<? extends io.fabric8.kubernetes.api.model.HasMetadata> snapshot(ResourceKind kind) {
            return current.snapshot(kind);
        }

        @Override
        public void close() {
            current.close();
        }
    }
}
