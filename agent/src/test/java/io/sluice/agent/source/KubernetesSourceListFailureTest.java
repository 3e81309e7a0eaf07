package io.sluice.agent.source;

import static io.sluice.agent.testsupport.TestObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.Await;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import org.junit.jupiter.api.Test;

/**
 * A kind whose list the API refuses (403, as RBAC does while a ClusterRoleBinding has not reached the API server yet)
 * is not synced, with the API's error as the reason, while the other kinds are; once the API allows it, the
 * informer's retry lists and watches it, and the kind is synced again. The lists' pages are parsed as they arrive, as
 * the agent's client parses them; the refusal's Status reaches fabric8 as the API sent it.
 */
class KubernetesSourceListFailureTest {
    private static final String SLICES = "/apis/discovery.k8s.io/v1/endpointslices";

    /** fabric8's CRUD dispatcher that refuses to list EndpointSlices while {@link #refuse} is set. */
    private static final class RefusingSliceLists extends KubernetesCrudDispatcher {
        volatile boolean refuse = true;

        @Override
        public MockResponse handleGet(String path) {
            if (refuse && path.startsWith(SLICES)) {
                return new MockResponse().setResponseCode(403).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                        + "\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403,\"message\":\"endpointslices is forbidden\"}");
            }
            return super.handleGet(path);
        }
    }

    @Test
    void aKindWhoseListIsRefusedIsUnsyncedWithTheErrorUntilTheApiAllowsIt() throws Exception {
        RefusingSliceLists dispatcher = new RefusingSliceLists();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        KubernetesSource source = null;
        KubernetesSerialization serialization = KubernetesSource.serialization();
        ArrivingListPages pages = new ArrivingListPages(serialization);
        ApiReachability reachability = new ApiReachability();
        try (KubernetesClient admin = server.createClient();
             KubernetesClient client = KubernetesSource.client(new ConfigBuilder(admin.getConfiguration())
                     .withRequestRetryBackoffLimit(0).build(), pages, reachability)) {
            admin.resource(service("default", "web", null, 80)).create();
            source = new KubernetesSource(client, reachability, EnumSet.of(ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE),
                    Duration.ZERO, 500);
            KubernetesSource started = source;
            started.start(new EventQueue(4096, new AgentMetrics()).channel(started.name()));

            Await.until(() -> started.notSyncedReason(ResourceKind.ENDPOINT_SLICE).startsWith("API error"),
                    () -> "the refused list reported; reason: " + started.notSyncedReason(ResourceKind.ENDPOINT_SLICE));
            Await.until(() -> started.synced(ResourceKind.SERVICE), () -> "Services synced");
            assertThat(started.synced(ResourceKind.ENDPOINT_SLICE)).isFalse();
            assertThat(started.notSyncedReason(ResourceKind.ENDPOINT_SLICE)).contains("403").contains("endpointslices is forbidden");

            dispatcher.refuse = false;

            Await.until(() -> started.synced(ResourceKind.ENDPOINT_SLICE),
                    () -> "slices synced once allowed; reason: " + started.notSyncedReason(ResourceKind.ENDPOINT_SLICE));
            assertThat(started.synced(ResourceKind.SERVICE)).isTrue();
            assertThat(pages.pages()).as("the lists that succeeded, parsed as they arrived").isGreaterThanOrEqualTo(2);
        } finally {
            if (source != null) {
                source.close();
            }
            server.destroy();
        }
    }
}
