package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.Kubeconfig;
import io.sluice.agent.source.KubernetesSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The loopback API server {@code sluice aot-train --source api} trains the agent against, through fabric8's client as
 * the agent builds it (from the server's kubeconfig, with the agent's serialization): lists in pages that together hold
 * every object once, with the resourceVersion and managedFields an API server sends; watches on every watched kind,
 * as the training agent's informers open them, that receive the changes put once they are open; and a 404 Status for
 * what it does not serve, which fabric8 reads as "no such object" (a 400 one for a page it cannot parse).
 */
class TrainingApiServerTest {

    @Property(tries = 20)
    void pagesOfAListHoldEveryObjectOnceInOrder(@ForAll @IntRange(max = 25) int services,
                                                @ForAll @IntRange(min = 1, max = 30) int limit) throws Exception {
        try (TrainingApiServer api = TrainingApiServer.start(services(services));
             KubernetesClient client = client(api)) {
            List<String> names = new ArrayList<>();
            String resourceVersion = null;
            String next = null;
            do {
                ServiceList page = client.services().inAnyNamespace()
                        .list(new ListOptionsBuilder().withLimit((long) limit).withContinue(next).build());
                assertThat(page.getItems()).hasSizeLessThanOrEqualTo(limit);
                resourceVersion = page.getMetadata().getResourceVersion();
                for (Service service : page.getItems()) {
                    assertThat(service.getMetadata().getResourceVersion()).as("resourceVersion of %s", service.getMetadata().getName())
                            .isNotBlank();
                    names.add(service.getMetadata().getName());
                }
                next = page.getMetadata().getContinue();
            } while (next != null);
            assertThat(names).containsExactlyElementsOf(IntStream.range(0, services).mapToObj(s -> "svc-" + s).toList());
            assertThat(Long.parseLong(resourceVersion)).as("the list's resourceVersion: the last one given out")
                    .isEqualTo(1 + 2L * services);
        }
    }

    @Test
    void watchesOnEveryKindReceiveTheChangesPutOnceTheyAreOpen() throws Exception {
        try (TrainingApiServer api = TrainingApiServer.start(services(3));
             KubernetesClient client = client(api)) {
            LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
            List<Watch> watches = new ArrayList<>();
            try {
                for (ResourceKind kind : ResourceKind.values()) {
                    watches.add(watch(client, kind.type(), events));
                }
                api.awaitWatches(Duration.ofSeconds(10));
                api.put(TrainingManifests.service(1, 1));
                api.put(TrainingManifests.service(7, 0));
                List<String> received = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    received.add(events.poll(10, TimeUnit.SECONDS));
                }
                assertThat(received).containsExactlyInAnyOrder("MODIFIED Service svc-1", "MODIFIED EndpointSlice svc-1",
                        "ADDED Service svc-7", "ADDED EndpointSlice svc-7");
                assertThat(events.poll(200, TimeUnit.MILLISECONDS)).as("nothing else").isNull();
            } finally {
                watches.forEach(Watch::close);
            }
            assertThat(api.objects()).isEqualTo(8);
        }
    }

    @Test
    void objectsCarryTheManagedFieldsAndResourceVersionsAnApiServerSends() throws Exception {
        try (TrainingApiServer api = TrainingApiServer.start(services(2));
             HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(api) + "/api/v1/services")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode list = JsonMapper.shared().readTree(response.body());
            assertThat(list.path("kind").asString()).isEqualTo("ServiceList");
            assertThat(list.path("items")).hasSize(2).allSatisfy(item -> {
                assertThat(item.path("metadata").path("resourceVersion").asString()).isNotBlank();
                assertThat(item.path("metadata").path("managedFields")).as("managedFields of %s", item.path("metadata").path("name"))
                        .hasSize(1);
            });
        }
    }

    @Test
    void whatItDoesNotServeIsANotFoundStatusAndABadPageABadRequest() throws Exception {
        try (TrainingApiServer api = TrainingApiServer.start(services(1));
             KubernetesClient client = client(api);
             HttpClient http = HttpClient.newHttpClient()) {
            assertThat(client.services().inNamespace("default").withName("svc-0").get())
                    .as("a single object's path is not served: fabric8 takes the 404 as no such object").isNull();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(api) + "/api/v1/secrets")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body()).contains("\"kind\":\"Status\"", "\"reason\":\"NotFound\"", "\"code\":404", "/api/v1/secrets");

            HttpResponse<String> badPage = http.send(HttpRequest.newBuilder(URI.create(url(api) + "/api/v1/services?limit=2&continue=x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(badPage.statusCode()).isEqualTo(400);
            assertThat(JsonMapper.shared().readTree(badPage.body()).path("message").asString()).contains("continue=x");
            for (String query : List.of("limit=2&continue=-1", "limit=-2")) {
                HttpResponse<String> negative = http.send(HttpRequest.newBuilder(URI.create(url(api) + "/api/v1/services?" + query)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(negative.statusCode()).as(query).isEqualTo(400);
                assertThat(negative.body()).as(query).contains("\"kind\":\"Status\"", "\"code\":400");
            }
        }
    }

    /** A watch of every {@code type} object, from now on, that adds its events to {@code events} as "ACTION Kind name" (a slice's name: its Service's). */
    private static <T extends HasMetadata> Watch watch(KubernetesClient client, Class<T> type, Queue<String> events) {
        return client.resources(type).inAnyNamespace().watch(new Watcher<T>() {
            @Override
            public void eventReceived(Action action, T object) {
                Map<String, String> labels = object.getMetadata().getLabels();
                events.add(action + " " + object.getKind() + " " + labels.getOrDefault("kubernetes.io/service-name", object.getMetadata().getName()));
            }

            @Override
            public void onClose(WatcherException cause) {
                events.add("closed: " + cause);
            }
        });
    }

    /** Services svc-0 ... with their EndpointSlices, as the training serves them. */
    private static List<String> services(int services) {
        return IntStream.range(0, services).mapToObj(s -> TrainingManifests.service(s, 0)).toList();
    }

    /** The server's URL, from its kubeconfig. */
    private static String url(TrainingApiServer api) throws Exception {
        try (KubernetesClient client = client(api)) {
            return client.getMasterUrl().toString().replaceAll("/$", "");
        }
    }

    /** A client as the agent builds one from a kubeconfig. */
    private static KubernetesClient client(TrainingApiServer api) throws Exception {
        Path dir = Files.createTempDirectory("training-api-");
        try {
            Path kubeconfig = api.kubeconfig(dir);
            return new KubernetesClientBuilder().withConfig(Kubeconfig.read(kubeconfig, KubernetesSource.serialization()))
                    .withKubernetesSerialization(KubernetesSource.serialization()).build();
        } finally {
            Files.deleteIfExists(dir.resolve("kubeconfig"));
            Files.delete(dir);
        }
    }
}
