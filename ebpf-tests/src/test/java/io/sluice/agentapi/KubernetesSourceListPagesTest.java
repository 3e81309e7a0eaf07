package io.sluice.agentapi;

import static io.sluice.agent.testsupport.TestObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.ApiReachability;
import io.sluice.agent.source.ArrivingListPages;
import io.sluice.agent.source.KubernetesSource;
import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.RecordingReconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.servicelb.PackedEndpointSlice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The agent's Kubernetes source lists in pages ({@code limit} and {@code continue}) against {@link ListWatchApiServer}:
 * each page reaches the writer's store as it arrives (the first while the rest are held back, the source still
 * unsynced), every object of every page gets there, and the watch that follows the last page delivers changes.
 * (fabric8's mock server answers a list in one piece whatever the limit, so it cannot show this.) With a page size
 * of 0 it lists in one request that the API server may answer from its watch cache.
 */
class KubernetesSourceListPagesTest {
    private static final int SERVICES = 1_201; // two full pages of 500 and a partial one

    @Test
    void everyPageOfTheListReachesTheStoreAndTheWatchFollows() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        try (ListWatchApiServer api = ListWatchApiServer.start();
             KubernetesClient client = new KubernetesClientBuilder().withConfig(api.loopbackClientConfig()).build()) {
            putServices(api);
            KubernetesSource source = new KubernetesSource(client, EnumSet.of(ResourceKind.SERVICE), Duration.ZERO);
            try {
                RecordingReconciler reconciler = new RecordingReconciler();
                StateWriter writer = new StateWriter(new EventQueue(4096, metrics), List.of(source), List.of(reconciler), metrics);
                api.holdLaterPages();
                source.start(writer.channelOf(source));
                // The first page reaches the writer while the next is still to come: it programs as the list arrives.
                runUntil(writer, () -> writer.store().get(new ObjectKey(ResourceKind.SERVICE, "default", "svc-499")) != null,
                        "the first page in the store");
                assertThat(source.synced(ResourceKind.SERVICE)).as("synced before the last page").isFalse();
                assertThat(writer.status().ready()).as("ready before the last page").isFalse();
                api.releaseLaterPages();
                assertThat(source.awaitSynced(Duration.ofSeconds(20))).isTrue();
                runUntil(writer, () -> writer.status().ready(), "the writer to become ready");

                for (int i = 0; i < SERVICES; i++) {
                    assertThat(writer.store().get(new ObjectKey(ResourceKind.SERVICE, "default", "svc-" + i)))
                            .as("svc-%d in the store", i).isNotNull();
                }
                assertThat(api.requests()).as("the list requests").filteredOn(r -> !r.contains("watch=true"))
                        .containsExactly("GET /api/v1/services?limit=500",
                                "GET /api/v1/services?continue=500&limit=500",
                                "GET /api/v1/services?continue=1000&limit=500");

                api.put("/api/v1/services", service("default", "svc-" + SERVICES, null, 80));
                ObjectKey added = new ObjectKey(ResourceKind.SERVICE, "default", "svc-" + SERVICES);
                runUntil(writer, () -> writer.store().get(added) != null, "a Service added after the list");
            } finally {
                source.close();
            }
        }
    }

    @Test
    void withPageSizeZeroEachKindIsListedInOneRequestFromTheWatchCache() throws Exception {
        try (ListWatchApiServer api = ListWatchApiServer.start();
             KubernetesClient client = new KubernetesClientBuilder().withConfig(api.loopbackClientConfig()).build()) {
            putServices(api);
            KubernetesSource source = new KubernetesSource(client, new ApiReachability(), EnumSet.of(ResourceKind.SERVICE),
                    Duration.ZERO, 0);
            try {
                StateWriter writer = syncedWriter(source);
                for (int i = 0; i < SERVICES; i++) {
                    assertThat(writer.store().get(new ObjectKey(ResourceKind.SERVICE, "default", "svc-" + i)))
                            .as("svc-%d in the store", i).isNotNull();
                }
                // resourceVersion=0: any API server version answers from its watch cache, not from etcd.
                assertThat(api.requests()).as("the list requests").filteredOn(r -> !r.contains("watch=true"))
                        .containsExactly("GET /api/v1/services?resourceVersion=0");
            } finally {
                source.close();
            }
        }
    }

    /**
     * Through the agent's serialization and its pages parsed as they arrive (as the agent's client reads them), each
     * listed EndpointSlice of the common shape is held packed, and so is the watch's next version of one: each equal to
     * the slice the server holds, less its managedFields.
     */
    @Test
    void withTheAgentsSerializationListedAndWatchedSlicesAreHeldPackedAsTheServerHoldsThem() throws Exception {
        KubernetesSerialization serialization = KubernetesSource.serialization();
        ArrivingListPages pages = new ArrivingListPages(serialization);
        try (ListWatchApiServer api = ListWatchApiServer.start();
             KubernetesClient client = KubernetesSource.client(api.loopbackClientConfig(), pages,
                     new ApiReachability())) {
            String path = "/apis/discovery.k8s.io/v1/endpointslices";
            api.collection(path, "EndpointSliceList", "discovery.k8s.io/v1");
            List<EndpointSlice> slices = new ArrayList<>();
            for (int i = 0; i < SERVICES; i++) {
                EndpointSlice slice = slice(i, 0);
                api.put(path, slice);
                slices.add(slice);
            }
            KubernetesSource source = new KubernetesSource(client, EnumSet.of(ResourceKind.ENDPOINT_SLICE), Duration.ZERO);
            try {
                StateWriter writer = syncedWriter(source);
                assertThat(pages.pages()).as("list pages parsed as they arrived").isEqualTo((SERVICES + 499) / 500);
                for (EndpointSlice slice : slices) {
                    assertThat(writer.store().get(new ObjectKey(ResourceKind.ENDPOINT_SLICE, "default", slice.getMetadata().getName())))
                            .isInstanceOf(PackedEndpointSlice.class).isEqualTo(withoutManagedFields(slice));
                }

                EndpointSlice moved = slice(7, 1);
                api.put(path, moved);
                ObjectKey key = new ObjectKey(ResourceKind.ENDPOINT_SLICE, "default", moved.getMetadata().getName());
                runUntil(writer, () -> moved.getMetadata().getResourceVersion().equals(
                        writer.store().get(key).getMetadata().getResourceVersion()), "the watched update in the store");
                assertThat(writer.store().get(key)).isInstanceOf(PackedEndpointSlice.class).isEqualTo(withoutManagedFields(moved));
            } finally {
                source.close();
            }
        }
    }

    /** Service {@code i}'s slice of three endpoints, the first moved {@code generation} times, with managedFields. */
    private static EndpointSlice slice(int i, int generation) {
        return new EndpointSliceBuilder().withNewMetadata().withName("svc-" + i + "-abcde").withNamespace("default")
                .addToLabels("kubernetes.io/service-name", "svc-" + i)
                .addNewManagedField().withManager("kube-controller-manager").withOperation("Update")
                .withApiVersion("discovery.k8s.io/v1").endManagedField().endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("10.1." + i % 250 + "." + (generation + 1)).withNewConditions()
                .withReady(true).endConditions().withNodeName("node-1").endEndpoint()
                .addNewEndpoint().withAddresses("10.2." + i % 250 + ".1").withNewConditions().withReady(true)
                .endConditions().endEndpoint()
                .addNewEndpoint().withAddresses("10.3." + i % 250 + ".1").endEndpoint()
                .build();
    }

    private static EndpointSlice withoutManagedFields(EndpointSlice slice) {
        return new EndpointSliceBuilder(slice).editMetadata().withManagedFields(List.of()).endMetadata().build();
    }

    /** A writer over {@code source}, started, duty-cycled until the source has synced and the writer is ready. */
    private static StateWriter syncedWriter(KubernetesSource source) throws InterruptedException {
        AgentMetrics metrics = new AgentMetrics();
        StateWriter writer = new StateWriter(new EventQueue(4096, metrics), List.of(source),
                List.of(new RecordingReconciler()), metrics);
        source.start(writer.channelOf(source));
        assertThat(source.awaitSynced(Duration.ofSeconds(20))).isTrue();
        runUntil(writer, () -> writer.status().ready(), "the writer to become ready");
        return writer;
    }

    private static void runUntil(StateWriter writer, BooleanSupplier condition, String what) {
        Await.until(() -> {
            writer.doWork();
            return condition.getAsBoolean();
        }, () -> what);
    }

    /** {@value #SERVICES} Services in the server's collection, more than two pages. */
    private static void putServices(ListWatchApiServer api) {
        api.collection("/api/v1/services", "ServiceList", "v1");
        for (int i = 0; i < SERVICES; i++) {
            api.put("/api/v1/services", service("default", "svc-" + i, null, 80));
        }
    }
}
