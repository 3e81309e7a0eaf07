package io.sluice.agent.source;

import static io.sluice.agent.testsupport.TestObjects.service;
import static io.sluice.agent.testsupport.TestObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import org.junit.jupiter.api.Test;

/**
 * Whatever a caller of the agent's fabric8 client lists Services or EndpointSlices with - the typed list, the generic
 * list, {@code raw()} - gets what fabric8's own client gets, and no page kept as it arrived is left unclaimed.
 */
class ArrivingListPagesClientTest {
    private static final String SERVICES = "/api/v1/services";
    private static final String SLICES = "/apis/discovery.k8s.io/v1/endpointslices";

    @Test
    void typedGenericAndRawListsReadWhatFabric8sOwnClientReads() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        KubernetesSerialization serialization = KubernetesSource.serialization();
        ArrivingListPages pages = new ArrivingListPages(serialization);
        try (KubernetesClient fabric8 = server.createClient();
             KubernetesClient agent = KubernetesSource.client(new ConfigBuilder(fabric8.getConfiguration())
                     .withRequestRetryBackoffLimit(0).build(), pages, new ApiReachability())) {
            fabric8.resource(service("default", "web", null, 80)).create();
            fabric8.resource(service("shop", "cart", null, 8080)).create();
            fabric8.resource(slice("default", "web-1", "web", null, "10.1.0.1", "10.1.0.2")).create();
            int unclaimedBefore = ArrivingPage.unclaimed();

            assertThat(agent.services().inAnyNamespace().list().getItems())
                    .isEqualTo(fabric8.services().inAnyNamespace().list().getItems());
            assertThat(agent.discovery().v1().endpointSlices().inAnyNamespace().list().getItems())
                    .isEqualTo(fabric8.discovery().v1().endpointSlices().inAnyNamespace().list().getItems());
            assertThat(agent.genericKubernetesResources("v1", "Service").inAnyNamespace().list().getItems())
                    .isEqualTo(fabric8.genericKubernetesResources("v1", "Service").inAnyNamespace().list().getItems());
            assertThat(agent.genericKubernetesResources("discovery.k8s.io/v1", "EndpointSlice").inNamespace("default")
                    .list().getItems()).isEqualTo(fabric8.genericKubernetesResources("discovery.k8s.io/v1",
                    "EndpointSlice").inNamespace("default").list().getItems());
            String master = fabric8.getConfiguration().getMasterUrl().replaceAll("/$", "");
            assertThat(agent.raw(master + SERVICES)).isEqualTo(fabric8.raw(master + SERVICES)).contains("\"cart\"");
            assertThat(agent.raw(master + SLICES)).isEqualTo(fabric8.raw(master + SLICES)).contains("10.1.0.2");

            assertThat(pages.pages()).as("typed and generic lists kept as they arrived").isEqualTo(4);
            assertThat(ArrivingPage.unclaimed()).as("pages whose token nobody claimed").isEqualTo(unclaimedBefore);
        } finally {
            server.destroy();
        }
    }
}
