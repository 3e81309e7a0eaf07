package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
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
     * Every property of every watched kind's model tree set ({@link FullModelObjects}), with fields the model does not
     * know added at random places when {@code unknownFieldsSeed} is not 0, as an object, as the items of its list and
     * in a watch event: the agent's serialization (its mapper settings, the compact list binding, the one-pass watch
     * events) parses each exactly as fabric8's default one parses the same document without {@code managedFields}
     * (which the agent never keeps) and, for Pods, Nodes and Namespaces, without every field the agent does not read
     * ({@link AgentReadFields#KEPT}): the fields it reads come out the same, the others are dropped as if never sent,
     * neither an error nor kept as unknown properties. A mapper setting that changed how any model class binds fails here.
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
        String read = AgentReadFields.onlyWhatTheAgentReads(json, kind);

        HasMetadata parsed = serialization.unmarshal(json, kind.type());
        Object parsedList = serialization.unmarshal(listOf(kind, json), listType);
        WatchEvent parsedEvent = serialization.unmarshal("{\"type\":\"MODIFIED\",\"object\":" + json + "}", WatchEvent.class);

        assertThat(parsed).isEqualTo(fabric8.unmarshal(read, kind.type()));
        assertThat(parsedList).isEqualTo(fabric8.unmarshal(listOf(kind, read), listType));
        assertThat(parsedEvent.getObject()).isEqualTo(parsed);
        if (AgentReadFields.KEPT.containsKey(kind)) {
            // Not vacuous: every field the agent reads was in the document, and came out set.
            assertThat(AgentReadFields.pathsOf(fabric8.asJson(parsed))).as(kind.toString())
                    .containsAll(AgentReadFields.KEPT.get(kind));
        }
    }

    /** A list page of {@code kind} with {@code item} twice. */
    private static String listOf(ResourceKind kind, String item) {
        return "{\"apiVersion\":\"" + kind.apiVersion() + "\",\"kind\":\"" + kind.apiKind()
                + "List\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[" + item + "," + item + "]}";
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
