package io.sluice.agentapi;

import static io.sluice.agent.testsupport.TestObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.ApiReachability;
import io.sluice.agent.source.KubernetesSource;
import io.sluice.agent.testsupport.Await;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Watches over plain HTTP ({@link ListWatchApiServer} refuses WebSocket upgrades, as some proxies in front of an API
 * server do; fabric8 then watches over HTTP, and its informer never reports itself as watching): a kind whose list
 * failed (here a 404, a resource the server does not serve yet) is unsynced with the API's error, and synced again
 * once the informer's retry has listed it, while the other kinds stay synced throughout.
 */
class KubernetesSourceHttpWatchRecoveryTest {
    private static final String SERVICES = "/api/v1/services";
    private static final String SLICES = "/apis/discovery.k8s.io/v1/endpointslices";

    @Test
    void aKindWhoseListFailedIsSyncedAgainOnceListedThoughItsWatchIsPlainHttp() throws Exception {
        try (ListWatchApiServer api = ListWatchApiServer.start();
             KubernetesClient client = new KubernetesClientBuilder().withConfig(api.loopbackClientConfig())
                     .withKubernetesSerialization(KubernetesSource.serialization()).build()) {
            api.collection(SERVICES, "ServiceList", "v1");
            api.put(SERVICES, service("default", "web", null, 80));
            KubernetesSource source = new KubernetesSource(client, new ApiReachability(),
                    EnumSet.of(ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE), Duration.ZERO, 500);
            try {
                source.start(new EventQueue(4096, new AgentMetrics()).channel(source.name()));
                Await.until(() -> source.notSyncedReason(ResourceKind.ENDPOINT_SLICE).startsWith("API error"),
                        () -> "the failed list reported; reason: " + source.notSyncedReason(ResourceKind.ENDPOINT_SLICE));
                Await.until(() -> source.synced(ResourceKind.SERVICE), () -> "Services synced");
                assertThat(source.synced(ResourceKind.ENDPOINT_SLICE)).isFalse();
                assertThat(source.notSyncedReason(ResourceKind.ENDPOINT_SLICE)).contains("404");

                api.collection(SLICES, "EndpointSliceList", "discovery.k8s.io/v1");

                Await.until(() -> source.synced(ResourceKind.ENDPOINT_SLICE),
                        () -> "slices synced once listed; requests: " + api.requests());
                assertThat(source.synced(ResourceKind.SERVICE)).isTrue();
            } finally {
                source.close();
            }
        }
    }
}
