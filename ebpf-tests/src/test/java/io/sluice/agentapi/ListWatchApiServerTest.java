package io.sluice.agentapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks' API server serves what a fabric8 informer needs: a list, then a watch over plain HTTP that carries
 * adds, updates and deletes as they are published.
 */
class ListWatchApiServerTest {
    private static final String SERVICES = "/api/v1/services";

    @Test
    void anInformerListsThenFollowsTheWatch() throws Exception {
        try (ListWatchApiServer api = ListWatchApiServer.start()) {
            api.collection(SERVICES, "ServiceList", "v1");
            api.put(SERVICES, service("a", 1));
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(api.loopbackClientConfig()).build()) {
                SharedIndexInformer<Service> informer = client.services().inAnyNamespace().inform();
                informer.start().toCompletableFuture().get(20, TimeUnit.SECONDS);
                assertThat(ports(informer)).containsExactly(1);
                // The informer's start ends with its list; its watch opens after, and this server replays nothing.
                await(() -> api.openWatches(SERVICES) == 1, "the informer's watch");

                api.put(SERVICES, service("a", 2));
                ListWatchApiServer.Change prepared = api.prepare(SERVICES, service("b", 3));
                api.publish(prepared);
                await(() -> ports(informer).equals(List.of(2, 3)), "the update and the add");
                api.delete(SERVICES, service("a", 2));
                await(() -> ports(informer).equals(List.of(3)), "the delete");

                assertThat(api.requests()).as("a list, a refused WebSocket upgrade, a watch over HTTP").containsExactly(
                        "GET /api/v1/services?resourceVersion=0",
                        "GET /api/v1/services?allowWatchBookmarks=true&resourceVersion=2&timeoutSeconds=600&watch=true (WebSocket upgrade)",
                        "GET /api/v1/services?allowWatchBookmarks=true&resourceVersion=2&timeoutSeconds=600&watch=true");
            }
        }
    }

    private static List<Integer> ports(SharedIndexInformer<Service> informer) {
        return informer.getStore().list().stream().map(s -> s.getSpec().getPorts().getFirst().getPort()).sorted().toList();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static Service service(String name, int port) {
        return new ServiceBuilder().withNewMetadata().withNamespace("default").withName(name).endMetadata()
                .withNewSpec().addNewPort().withPort(port).endPort().endSpec().build();
    }
}
