package io.sluice.agentapi;

import static io.sluice.agent.testsupport.TestObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.ApiReachability;
import io.sluice.agent.source.KubernetesSource;
import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.RecordingReconciler;
import io.sluice.agent.writer.StateWriter;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * An API server ends a watch with an ERROR event carrying Status 410 Gone when the watch's resourceVersion has been
 * compacted away; the client must then list again, as watching again from where it was would miss what changed.
 * Through a client built as the agent builds it ({@link KubernetesSource#serialization()}, which knows only some
 * kinds), the source lists again and goes on following the watch.
 */
class KubernetesSourceWatchExpiryTest {
    private static final String SERVICES = "/api/v1/services";
    private static final String FIRST_PAGE = "GET " + SERVICES + "?limit=500";

    @Test
    void aWatchEndedWithGoneMakesTheSourceListAgain() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        try (ListWatchApiServer api = ListWatchApiServer.start();
             KubernetesClient client = new KubernetesClientBuilder().withConfig(api.loopbackClientConfig())
                     .withKubernetesSerialization(KubernetesSource.serialization()).build()) {
            api.collection(SERVICES, "ServiceList", "v1");
            api.put(SERVICES, service("default", "web", null, 80));
            KubernetesSource source = new KubernetesSource(client, new ApiReachability(), EnumSet.of(ResourceKind.SERVICE),
                    Duration.ZERO, 500);
            try {
                StateWriter writer = new StateWriter(new EventQueue(4096, metrics), List.of(source),
                        List.of(new RecordingReconciler()), metrics);
                source.start(writer.channelOf(source));
                assertThat(source.awaitSynced(Duration.ofSeconds(20))).isTrue();
                runUntil(writer, () -> api.openWatches(SERVICES) == 1, "the source's watch");
                assertThat(listRequests(api)).isEqualTo(1);

                api.expireWatches(SERVICES);

                runUntil(writer, () -> listRequests(api) == 2, "a second list after 410 Gone; requests: " + api.requests());
                runUntil(writer, () -> api.openWatches(SERVICES) == 1, "a new watch after the list");
                api.put(SERVICES, service("default", "api", null, 81));
                runUntil(writer, () -> writer.store().get(new ObjectKey(ResourceKind.SERVICE, "default", "api")) != null,
                        "a Service added after the new watch");
                assertThat(writer.store().get(new ObjectKey(ResourceKind.SERVICE, "default", "web"))).isNotNull();
            } finally {
                source.close();
            }
        }
    }

    private static long listRequests(ListWatchApiServer api) {
        return api.requests().stream().filter(FIRST_PAGE::equals).count();
    }

    private static void runUntil(StateWriter writer, BooleanSupplier condition, String what) {
        Await.until(() -> {
            writer.doWork();
            return condition.getAsBoolean();
        }, () -> what);
    }
}
