package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import io.sluice.servicelb.PackedEndpointSlice;
import java.io.ByteArrayInputStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * List pages of Services and EndpointSlices as the agent's serialization reads them ({@link WatchEventSerialization}):
 * equal to what fabric8's own parse gives and the informer's store then keeps (its compaction, less
 * {@code managedFields}), items compact and slices of the common shape packed; a page with anything else, or that
 * fails, read or refused exactly as fabric8 does.
 */
class WatchEventSerializationListTest {
    /** fabric8's default serialization: every kind, {@code managedFields} built. */
    private static final KubernetesSerialization FABRIC8 = new KubernetesSerialization();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final KubernetesSerialization agent = KubernetesSource.serialization();

    /**
     * Generated objects, as fabric8 writes them, with their identity (as the API server lists them, without) and
     * managedFields or not: a page of them is bound compact and equal to fabric8's parse of it.
     */
    @Property(tries = 200)
    void aPageOfServicesOrSlicesIsBoundCompactAsFabric8ReadsIt(@ForAll("pages") List<HasMetadata> objects,
                                                              @ForAll boolean withoutIdentity,
                                                              @ForAll @IntRange(min = 0, max = 2) int managers) {
        List<String> items = new ArrayList<>();
        for (HasMetadata object : objects) {
            ObjectNode item = (ObjectNode) JSON.readTree(FABRIC8.asJson(object));
            if (withoutIdentity) {
                item.remove(List.of("apiVersion", "kind"));
            }
            if (managers > 0) {
                ObjectNode meta = (ObjectNode) item.get("metadata");
                var fields = meta.putArray("managedFields");
                for (int m = 0; m < managers; m++) {
                    fields.addObject().put("manager", "m" + m).put("operation", "Update")
                            .putObject("fieldsV1").putObject("f:metadata").putObject("f:labels" + m);
                }
            }
            items.add(item.toString());
        }
        boolean services = objects.getFirst() instanceof io.fabric8.kubernetes.api.model.Service;
        String page = page(services, items);

        KubernetesResourceList<?> read = readAsTheAgent(page, services);

        assertThat(read).isEqualTo(asTheStoreKeeps(page, services));
        for (HasMetadata item : read.getItems()) {
            assertThat(ModelCompactor.isCompact(item)).as("bound compact: " + item).isTrue();
            assertThat(item.getMetadata().getManagedFields()).isSameAs(List.of());
        }
    }

    /**
     * Any manifest document of the binder's tests (odd values, unknown fields, other kinds, ...) as a list item in
     * JSON: the page reads as fabric8 reads it, by the binder or by fabric8's parse of the whole page.
     */
    @Property(tries = 1500)
    void anyItemIsReadAsFabric8ReadsIt(@ForAll("anyDocuments") String document, @ForAll boolean services,
                                       @ForAll @IntRange(min = 0, max = 2) int position) {
        String item = jsonObjectOf(document);
        Assume.that(item != null);
        List<String> items = new ArrayList<>(List.of(usualItem(services, "a"), usualItem(services, "b")));
        items.add(position, item);
        String page = page(services, items);

        Object expected;
        try {
            expected = asTheStoreKeeps(page, services);
        } catch (RuntimeException refused) {
            assertThatThrownBy(() -> readAsTheAgent(page, services)).isInstanceOf(refused.getClass())
                    .hasMessage(refused.getMessage());
            Statistics.collect("refused");
            return;
        }
        KubernetesResourceList<?> read = readAsTheAgent(page, services);
        Statistics.collect(read.getItems().stream().allMatch(ModelCompactor::isCompact) ? "bound" : "fabric8's parse");
        assertThat(read).isEqualTo(expected);
    }

    /**
     * The same documents as a watch event's object, its apiVersion and kind first as the API server writes them: read
     * as fabric8 reads what the agent reads of it (less managedFields, of a Pod, Node or Namespace only the fields the
     * agent uses: {@link AgentReadFields}), bound compact when the binder takes it.
     */
    @Property(tries = 1500)
    void anyWatchedObjectIsReadAsFabric8ReadsIt(@ForAll("anyDocuments") String document, @ForAll("types") String type) {
        Map<String, Object> object = new LinkedHashMap<>();
        try {
            Object tree = new Load(LoadSettings.builder().build()).loadFromString(document);
            Assume.that(tree instanceof Map<?, ?>);
            Map<?, ?> fields = (Map<?, ?>) tree;
            for (String identity : List.of("apiVersion", "kind")) {
                if (fields.containsKey(identity)) {
                    object.put(identity, fields.get(identity));
                }
            }
            fields.forEach((k, v) -> object.putIfAbsent(String.valueOf(k), v));
            // Another kind arrives as a GenericKubernetesResource here, typed by fabric8's default (as before)
            Assume.that(ResourceKind.of(String.valueOf(fields.get("apiVersion")), String.valueOf(fields.get("kind"))) != null);
        } catch (RuntimeException notJson) {
            Assume.that(false);
            return;
        }
        String message = "{\"type\":\"" + type + "\",\"object\":" + JSON.writeValueAsString(object) + "}";

        Object expected;
        try {
            expected = FABRIC8.unmarshal(AgentReadFields.eventAsTheAgentReadsIt(message), WatchEvent.class).getObject();
        } catch (RuntimeException refused) {
            assertThatThrownBy(() -> agent.unmarshal(message, WatchEvent.class)).isInstanceOf(refused.getClass());
            Statistics.collect("refused");
            return;
        }
        Object read = agent.unmarshal(message, WatchEvent.class).getObject();
        Statistics.collect(read instanceof HasMetadata bound && bound.getMetadata() != null && ModelCompactor.isCompact(bound)
                ? "bound compact" : "fabric8's parse");
        assertThat(read).isEqualTo(expected);
    }

    @Test
    void theBenchmarksSlicesArePacked() {
        String slice = KubernetesSourceManagedFieldsTest.sliceJson("7", 10, 1);
        KubernetesResourceList<?> read = readAsTheAgent(page(false, List.of(slice, slice.replace("web-abcde", "web-x"))), false);

        assertThat(read.getItems()).hasSize(2).allSatisfy(s -> assertThat(s).isInstanceOf(PackedEndpointSlice.class));
        assertThat(read).isEqualTo(asTheStoreKeeps(page(false, List.of(slice, slice.replace("web-abcde", "web-x"))), false));
    }

    /**
     * Slices as the endpointslice controller writes them, each endpoint with its Pod's targetRef, are packed when
     * listed and when watched, equal to fabric8's parse; a Pod of another namespace keeps fabric8's endpoints.
     */
    @Test
    void theControllersSlicesWithPodTargetRefsArePacked() {
        String first = withPodRefs(KubernetesSourceManagedFieldsTest.sliceJson("7", 10, 1), "shop");
        String second = withPodRefs(KubernetesSourceManagedFieldsTest.sliceJson("8", 3, 0), "shop").replace("web-abcde", "web-x");
        String page = page(false, List.of(first, second));

        KubernetesResourceList<?> read = readAsTheAgent(page, false);

        assertThat(read.getItems()).hasSize(2).allSatisfy(s -> assertThat(s).isInstanceOf(PackedEndpointSlice.class));
        assertThat(read).isEqualTo(asTheStoreKeeps(page, false));
        EndpointSlice listed = (EndpointSlice) read.getItems().getFirst();
        assertThat(listed.getEndpoints().getFirst().getTargetRef().getName()).isEqualTo("web-abcde-0");
        assertThat(FABRIC8.asJson(listed)).isEqualTo(FABRIC8.asJson(asTheStoreKeeps(page, false).getItems().getFirst()));

        String next = withPodRefs(KubernetesSourceManagedFieldsTest.sliceJson("9", 11, 1), "shop");
        EndpointSlice watched = (EndpointSlice) agent.unmarshal("{\"type\":\"MODIFIED\",\"object\":" + next + "}",
                WatchEvent.class).getObject();
        assertThat(watched).isInstanceOf(PackedEndpointSlice.class)
                .isEqualTo(KubernetesSource.withoutManagedFields(FABRIC8.unmarshal(next, EndpointSlice.class)));

        String elsewhere = page(false, List.of(withPodRefs(KubernetesSourceManagedFieldsTest.sliceJson("7", 3, 0), "other")
                .replaceFirst("\"namespace\":\"other\"", "\"namespace\":\"third\"")));
        assertThat(readAsTheAgent(elsewhere, false).getItems().getFirst()).isNotInstanceOf(PackedEndpointSlice.class);
        assertThat(readAsTheAgent(elsewhere, false)).isEqualTo(asTheStoreKeeps(elsewhere, false));
    }

    /** {@code slice} with each endpoint's Pod reference (in {@code namespace}) as the endpointslice controller writes it. */
    private static String withPodRefs(String slice, String namespace) {
        ObjectNode tree = (ObjectNode) JSON.readTree(slice);
        int k = 0;
        for (var endpoint : tree.get("endpoints")) {
            String name = tree.get("metadata").get("name").asString() + "-" + k++;
            ((ObjectNode) endpoint).putObject("targetRef").put("kind", "Pod").put("namespace", namespace).put("name", name)
                    .put("uid", java.util.UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString());
        }
        return tree.toString();
    }

    /** The watch's next version of a listed slice comes packed too, and the store shares its unchanged parts. */
    @Test
    void aWatchedUpdateOfAListedSliceIsPackedAndSharesWhatDidNotChange() {
        KubernetesSource.CompactingItemStore<EndpointSlice> store = new KubernetesSource.CompactingItemStore<>();
        String first = KubernetesSourceManagedFieldsTest.sliceJson("1", 10, 1);
        String next = KubernetesSourceManagedFieldsTest.sliceJson("2", 11, 1);
        EndpointSlice listed = (EndpointSlice) readAsTheAgent(page(false, List.of(first)), false).getItems().getFirst();
        String key = Cache.metaNamespaceKeyFunc(listed);
        store.put(key, listed);

        EndpointSlice watched = (EndpointSlice) agent.unmarshal("{\"type\":\"MODIFIED\",\"object\":" + next + "}",
                WatchEvent.class).getObject();
        store.put(key, watched);

        assertThat(watched).isInstanceOf(PackedEndpointSlice.class);
        assertThat(store.get(key)).isSameAs(watched)
                .isEqualTo(KubernetesSource.withoutManagedFields(FABRIC8.unmarshal(next, EndpointSlice.class)));
        assertThat(watched.getMetadata().getName()).isSameAs(listed.getMetadata().getName());
        assertThat(watched.getMetadata().getLabels()).isSameAs(listed.getMetadata().getLabels());
        assertThat(watched.getPorts()).isSameAs(listed.getPorts());
        assertThat(listed).isEqualTo(KubernetesSource.withoutManagedFields(FABRIC8.unmarshal(first, EndpointSlice.class)));
    }

    @Test
    void aPageWithAnotherFieldOrAMalformedPageGoesAsFabric8Reads() {
        String slice = KubernetesSourceManagedFieldsTest.sliceJson("7", 3, 0);
        String other = "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSliceList\",\"extra\":1,\"items\":[" + slice + "]}";
        assertThat(readAsTheAgent(other, false)).isEqualTo(asTheStoreKeeps(other, false));
        assertThat(readAsTheAgent(other, false).getItems().getFirst()).isNotInstanceOf(PackedEndpointSlice.class);

        String malformed = page(false, List.of(slice)).replace("\"endpoints\":[", "\"endpoints\":[[");
        assertThatThrownBy(() -> readAsTheAgent(malformed, false)).isInstanceOf(
                catchThrowableOf(() -> asTheStoreKeeps(malformed, false)).getClass());
    }

    /** The list class fabric8's informer asks the parse for (client.resources(kind).list()'s). */
    @Test
    void theListTypesAreTheOnesFabric8AsksFor() {
        try (var client = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder().withMasterUrl("https://127.0.0.1:1").build())
                .build()) {
            var services = (io.fabric8.kubernetes.client.dsl.internal.BaseOperation<?, ?, ?>) client.services();
            var slices = (io.fabric8.kubernetes.client.dsl.internal.BaseOperation<?, ?, ?>) client
                    .resources(io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class);
            assertThat((Type) services.getListType()).isEqualTo(ServiceList.class);
            assertThat((Type) slices.getListType()).isEqualTo(EndpointSliceList.class);
        }
    }

    // ---- pages and the two parses -----------------------------------------------------------------------------------

    /** The manifest {@code document} as one JSON object, or null when it is not one. */
    static String jsonObjectOf(String document) {
        try {
            Object tree = new Load(LoadSettings.builder().build()).loadFromString(document);
            return tree instanceof Map<?, ?> ? JSON.writeValueAsString(tree) : null;
        } catch (RuntimeException notJson) {
            return null;
        }
    }

    static String page(boolean services, List<String> items) {
        return "{\"kind\":\"" + (services ? "ServiceList" : "EndpointSliceList") + "\",\"apiVersion\":\""
                + (services ? "v1" : "discovery.k8s.io/v1") + "\",\"metadata\":{\"resourceVersion\":\"42\",\"continue\":\"c\"},"
                + "\"items\":[" + String.join(",", items) + "]}";
    }

    static String usualItem(boolean services, String name) {
        return services ? "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"n\",\"resourceVersion\":\"1\"},"
                + "\"spec\":{\"clusterIP\":\"10.96.0.1\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}}"
                : KubernetesSourceManagedFieldsTest.sliceJson("1", 2, 1).replace("web-abcde", name);
    }

    private KubernetesResourceList<?> readAsTheAgent(String page, boolean services) {
        return agent.unmarshal(new ByteArrayInputStream(page.getBytes(StandardCharsets.UTF_8)), listType(services));
    }

    /** fabric8's parse of the page, each item then as the informer's store keeps it (compacted, no managedFields). */
    private static KubernetesResourceList<?> asTheStoreKeeps(String page, boolean services) {
        KubernetesResourceList<?> list = FABRIC8.unmarshal(
                new ByteArrayInputStream(page.getBytes(StandardCharsets.UTF_8)), listType(services));
        for (HasMetadata item : list.getItems()) {
            if (item.getMetadata() != null) {
                ModelCompactor.compact(KubernetesSource.withoutManagedFields(item));
            }
        }
        return list;
    }

    static TypeReference<KubernetesResourceList<?>> listType(boolean services) {
        return new TypeReference<>() {
            @Override
            public Type getType() {
                return services ? ServiceList.class : EndpointSliceList.class;
            }
        };
    }

    private static Throwable catchThrowableOf(Runnable parse) {
        try {
            parse.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("fabric8's parse accepted it");
    }

    @Provide
    Arbitrary<List<HasMetadata>> pages() {
        return Arbitraries.oneOf(ModelArbitraries.services().map(HasMetadata.class::cast).list().ofMinSize(1).ofMaxSize(5),
                ModelArbitraries.slices().map(HasMetadata.class::cast).list().ofMinSize(1).ofMaxSize(5));
    }

    @Provide
    Arbitrary<String> types() {
        return Arbitraries.of("ADDED", "MODIFIED", "DELETED", "BOOKMARK");
    }

    @Provide
    Arbitrary<String> anyDocuments() {
        return new CompactServiceBinderTest().anyDocuments();
    }
}
