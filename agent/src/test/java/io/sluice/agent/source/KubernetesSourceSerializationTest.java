package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The agent's client serialization ({@link KubernetesSource#serialization()}), which skips fabric8's search of the
 * class path: watch events of every watched kind still arrive as objects of the kind's model class, as fabric8's
 * default would give them (a GenericKubernetesResource would make the informer convert each event once more).
 */
class KubernetesSourceSerializationTest {
    private final KubernetesSerialization serialization = KubernetesSource.serialization();

    @Test
    void aWatchEventOfEveryWatchedKindCarriesTheKindsModelClass() {
        for (ResourceKind kind : ResourceKind.values()) {
            HasMetadata example = new KubernetesSerialization().unmarshal(
                    "{\"metadata\":{\"name\":\"x\",\"namespace\":\"default\"}}", kind.type());
            String json = "{\"type\":\"MODIFIED\",\"object\":{\"apiVersion\":\"" + example.getApiVersion() + "\",\"kind\":\""
                    + example.getKind() + "\",\"metadata\":{\"name\":\"x\",\"namespace\":\"default\",\"resourceVersion\":\"7\"}}}";
            WatchEvent event = serialization.unmarshal(json, WatchEvent.class);
            assertThat(event.getObject()).as(kind.toString()).isInstanceOf(kind.type());
            assertThat(((HasMetadata) event.getObject()).getMetadata().getResourceVersion()).as(kind.toString()).isEqualTo("7");
        }
    }

    @Test
    void aWatchErrorCarriesAStatusSoThatFabric8RelistsOnGone() {
        WatchEvent event = serialization.unmarshal("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                + "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 1 (2)\",\"reason\":\"Expired\","
                + "\"code\":410}}", WatchEvent.class);
        assertThat(event.getObject()).isInstanceOfSatisfying(Status.class, status -> assertThat(status.getCode()).isEqualTo(410));
    }

    @Test
    void aKindNotWatchedArrivesGeneric() {
        WatchEvent event = serialization.unmarshal("{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                + "\"metadata\":{\"name\":\"x\"}}}", WatchEvent.class);
        assertThat(event.getObject()).isInstanceOf(GenericKubernetesResource.class);
    }

    /**
     * The fields of Pods, Nodes and Namespaces the agent reads ({@link SlimModel}), by path ({@code []}: each element of
     * a list); a listed field is kept whole. Every other field of those kinds is dropped by the agent's parse.
     */
    private static final Map<ResourceKind, Set<String>> KEPT = Map.of(
            ResourceKind.POD, Set.of("apiVersion", "kind", "metadata.name", "metadata.namespace", "metadata.labels",
                    "metadata.resourceVersion", "spec.nodeName", "spec.hostNetwork", "spec.containers[].ports[].name",
                    "spec.containers[].ports[].containerPort", "spec.containers[].ports[].protocol", "status.phase",
                    "status.podIP", "status.podIPs[].ip"),
            ResourceKind.NODE, Set.of("apiVersion", "kind", "metadata.name", "metadata.resourceVersion",
                    "status.addresses[].type", "status.addresses[].address"),
            ResourceKind.NAMESPACE, Set.of("apiVersion", "kind", "metadata.name", "metadata.labels",
                    "metadata.resourceVersion"));

    /**
     * Every property of every watched kind's model tree set ({@link FullModelObjects}), with fields the model does not
     * know added at random places when {@code unknownFieldsSeed} is not 0, as an object, as the items of its list and
     * in a watch event: the agent's serialization (its mapper settings, the compact list binding, the one-pass watch
     * events) parses each exactly as fabric8's default one parses the same document without {@code managedFields}
     * (which the agent never keeps) and, for Pods, Nodes and Namespaces, without every field the agent does not read
     * ({@link #KEPT}): the fields it reads come out the same, the others are dropped as if never sent, neither an
     * error nor kept as unknown properties. A mapper setting that changed how any model class binds fails here.
     */
    @Property(tries = 24)
    void everyFieldTheAgentReadsParsesAsFabric8sDefaultParsesItAndNoOtherIsKept(
            @ForAll ResourceKind kind, @ForAll @IntRange(min = 0, max = 5) int variant,
            @ForAll @LongRange(min = 0, max = 3) long unknownFieldsSeed) throws ReflectiveOperationException {
        KubernetesSerialization fabric8 = new KubernetesSerialization();
        HasMetadata object = FullModelObjects.of(kind.type(), variant);
        object.setApiVersion(kind.apiVersion());
        kind.type().getMethod("setKind", String.class).invoke(object, kind.apiKind());
        String full = fabric8.asJson(object);
        assertThat(fabric8.unmarshal(full, kind.type())).as("fabric8's own round trip").isEqualTo(object);
        String json = unknownFieldsSeed == 0 ? full : withUnknownFields(full, new Random(unknownFieldsSeed));
        Class<?> listType = Class.forName(kind.type().getName() + "List");
        String list = "{\"apiVersion\":\"" + kind.apiVersion() + "\",\"kind\":\"" + kind.apiKind()
                + "List\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[" + json + "," + json + "]}";
        String read = onlyWhatTheAgentReads(json, kind);

        HasMetadata parsed = serialization.unmarshal(json, kind.type());
        Object parsedList = serialization.unmarshal(list, listType);
        WatchEvent parsedEvent = serialization.unmarshal("{\"type\":\"MODIFIED\",\"object\":" + json + "}", WatchEvent.class);

        HasMetadata expected = fabric8.unmarshal(read, kind.type());
        assertThat(parsed).isEqualTo(expected);
        assertThat(parsedList).isEqualTo(fabric8.unmarshal("{\"apiVersion\":\"" + kind.apiVersion() + "\",\"kind\":\""
                + kind.apiKind() + "List\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[" + read + "," + read + "]}", listType));
        assertThat(parsedEvent.getObject()).isEqualTo(parsed);
        if (KEPT.containsKey(kind)) {
            // Not vacuous: every field the agent reads was in the document, and came out set.
            assertThat(leavesOf(fabric8.asJson(parsed), "")).as(kind.toString()).containsAll(KEPT.get(kind));
        }
    }

    /** {@code json} with fields no model has ({@code unknownN}, a string value) added to objects picked at random. */
    private static String withUnknownFields(String json, Random random) {
        JsonNode tree = new ObjectMapper().readTree(json);
        addUnknownFields(tree, random, new int[1]);
        return tree.toString();
    }

    private static void addUnknownFields(JsonNode node, Random random, int[] added) {
        node.forEach(child -> addUnknownFields(child, random, added));
        if (node instanceof ObjectNode object && random.nextInt(4) == 0) {
            object.put("unknown" + added[0]++, "u");
        }
    }

    /**
     * {@code json} without {@code managedFields} (of the object and of every nested ObjectMeta), and of a kind in
     * {@link #KEPT} only with the fields listed there.
     */
    private static String onlyWhatTheAgentReads(String json, ResourceKind kind) {
        JsonNode tree = new ObjectMapper().readTree(json);
        removeManagedFields(tree);
        Set<String> kept = KEPT.get(kind);
        if (kept != null) {
            keepOnly(tree, "", kept);
        }
        return tree.toString();
    }

    private static void removeManagedFields(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove("managedFields");
        }
        node.forEach(KubernetesSourceSerializationTest::removeManagedFields);
    }

    /** Removes from {@code node} (at {@code path}) every field that is neither in {@code kept} nor on the way to one. */
    private static void keepOnly(JsonNode node, String path, Set<String> kept) {
        if (node instanceof ArrayNode array) {
            array.forEach(element -> keepOnly(element, path + "[]", kept));
        } else if (node instanceof ObjectNode object) {
            for (String name : List.copyOf(object.propertyNames())) {
                String field = path.isEmpty() ? name : path + "." + name;
                if (kept.contains(field)) {
                    continue;
                }
                if (kept.stream().anyMatch(k -> k.startsWith(field + ".") || k.startsWith(field + "[]"))) {
                    keepOnly(object.get(name), field, kept);
                } else {
                    object.remove(name);
                }
            }
        }
    }

    /** The paths (as in {@link #KEPT}) of the fields in {@code json} that have a value other than null. */
    private static Set<String> leavesOf(String json, String path) {
        Set<String> leaves = new HashSet<>();
        collectPaths(new ObjectMapper().readTree(json), path, leaves);
        return leaves;
    }

    private static void collectPaths(JsonNode node, String path, Set<String> paths) {
        if (node instanceof ArrayNode array) {
            array.forEach(element -> collectPaths(element, path + "[]", paths));
        } else if (node instanceof ObjectNode object) {
            object.properties().forEach(e -> {
                if (!e.getValue().isNull()) {
                    String field = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                    paths.add(field);
                    collectPaths(e.getValue(), field, paths);
                }
            });
        }
    }

    @Test
    void theFullObjectsSetHundredsOfProperties() {
        // Guards the property above against a model change that would leave its objects nearly empty.
        assertThat(FullModelObjects.propertiesOf(io.fabric8.kubernetes.api.model.Pod.class)).isGreaterThan(500);
        assertThat(FullModelObjects.propertiesOf(io.fabric8.kubernetes.api.model.Node.class)).isGreaterThan(50);
    }

    @Test
    void aListParsesAsFabric8sDefaultParsesIt() {
        String json = "{\"apiVersion\":\"v1\",\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[{\"apiVersion\":\"v1\","
                + "\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
                + "\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}],"
                + "\"unknownField\":{\"a\":1}}}]}";
        assertThat(serialization.unmarshal(json, ServiceList.class))
                .isEqualTo(new KubernetesSerialization().unmarshal(json, ServiceList.class));
    }
}
