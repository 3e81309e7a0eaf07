package io.sluice.agent.source;

import static io.sluice.agent.testsupport.TestObjects.service;
import static io.sluice.agent.testsupport.TestObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.RecordingReconciler;
import io.sluice.agent.testsupport.WatchClosingAside;
import io.sluice.agent.writer.StateWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An API server that goes away and comes back (a new, standalone CRUD mock server on the same port, holding changed
 * objects): the source reports the outage as unsynced with the reason, keeps the store as it was, and once the API
 * answers again lists afresh, so the store converges to the new server's objects.
 */
class KubernetesOutageTest {
    private static final ObjectKey WEB_SLICE = new ObjectKey(ResourceKind.ENDPOINT_SLICE, "default", "web-abc");

    private final AgentMetrics metrics = new AgentMetrics();
    private final RecordingReconciler reconciler = new RecordingReconciler();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private KubernetesSource source;
    private StateWriter writer;

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.destroy();
        }
    }

    private static KubernetesMockServer serverOn(int port) {
        KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new WatchClosingAside(), false);
        s.init(InetAddress.getLoopbackAddress(), port);
        return s;
    }

    private void runWriterUntil(BooleanSupplier condition, String what) {
        Await.until(() -> {
            writer.doWork();
            return condition.getAsBoolean();
        }, () -> what + "; writer status: " + writer.status());
    }

    @Test
    void anOutageMakesTheSourceUnsyncedAndTheReturnOfTheApiRelistsEverything() throws Exception {
        server = serverOn(0);
        int port = server.getPort();
        ApiReachability reachability = new ApiReachability();
        client = KubernetesSource.client(new ConfigBuilder().withMasterUrl("http://127.0.0.1:" + port)
                .withNamespace("default").build(), new ArrivingListPages(KubernetesSource.serialization()), reachability);
        KubernetesClient admin = server.createClient();
        admin.resource(service("default", "web", null, 80)).create();
        admin.resource(slice("default", "web-abc", "web", null, "10.0.0.1")).create();
        admin.close();

        source = new KubernetesSource(client, reachability, EnumSet.of(ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE),
                Duration.ZERO);
        writer = new StateWriter(new EventQueue(4096, metrics), List.of(source), List.of(reconciler), metrics);
        source.start(writer.channelOf(source));
        assertThat(source.awaitSynced(Duration.ofSeconds(20))).isTrue();
        runWriterUntil(() -> writer.status().ready(), "ready before the outage");
        String versionBefore = writer.store().get(WEB_SLICE).getMetadata().getResourceVersion();

        server.destroy();
        runWriterUntil(() -> !writer.status().ready(), "not ready during the outage");
        assertThat(writer.status().reason()).contains("API unreachable").contains("Connection refused");
        assertThat(source.notSyncedReason(ResourceKind.SERVICE)).startsWith("API unreachable");
        assertThat(writer.store().get(WEB_SLICE, EndpointSlice.class).getEndpoints().getFirst().getAddresses())
                .as("the store keeps the last known state").containsExactly("10.0.0.1");

        server = serverOn(port);
        KubernetesClient admin2 = server.createClient();
        admin2.resource(service("default", "web", null, 80)).create();
        // The Store skips an object whose resourceVersion it already holds, and a fresh server counts from 1 again.
        admin2.resource(service("default", "other", null, 81)).create();
        EndpointSlice moved = admin2.resource(slice("default", "web-abc", "web", null, "10.0.0.2")).create();
        admin2.close();
        assertThat(moved.getMetadata().getResourceVersion()).as("the new server's version differs from the old one's")
                .isNotEqualTo(versionBefore);

        // The relist may start between the creates above (the source probes as soon as the server answers): the
        // slice then comes with the watch that follows the list, so wait for it rather than look at once.
        runWriterUntil(() -> writer.status().ready() && addressesOf(writer.store().get(WEB_SLICE, EndpointSlice.class))
                .equals(List.of("10.0.0.2")), "ready after the API came back, with the slice as the new server has it");
        assertThat(reconciler.changes).extracting(RecordingReconciler.Change::key).contains(WEB_SLICE);
    }

    private static List<String> addressesOf(EndpointSlice slice) {
        return slice == null ? List.of() : slice.getEndpoints().getFirst().getAddresses();
    }
}
