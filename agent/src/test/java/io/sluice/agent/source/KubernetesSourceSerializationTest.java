package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
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
     * Every property of every watched kind's model tree set ({@link FullModelObjects}), as an object, as the items of
     * its list and in a watch event: the agent's serialization (its mapper settings, the compact list binding, the
     * one-pass watch events) parses each exactly as fabric8's default one does, less {@code managedFields}, which it
     * never keeps. A mapper setting that changed how any model class binds fails here.
     */
    @Property(tries = 12)
    void everyPropertyOfEveryWatchedKindParsesAsFabric8sDefaultParsesIt(@ForAll ResourceKind kind,
                                                                        @ForAll @IntRange(min = 0, max = 5) int variant)
            throws ReflectiveOperationException {
        KubernetesSerialization fabric8 = new KubernetesSerialization();
        HasMetadata object = FullModelObjects.of(kind.type(), variant);
        object.setApiVersion(kind.apiVersion());
        kind.type().getMethod("setKind", String.class).invoke(object, kind.apiKind());
        String json = fabric8.asJson(object);
        assertThat(fabric8.unmarshal(json, kind.type())).as("fabric8's own round trip").isEqualTo(object);
        Class<?> listType = Class.forName(kind.type().getName() + "List");
        String list = "{\"apiVersion\":\"" + kind.apiVersion() + "\",\"kind\":\"" + kind.apiKind()
                + "List\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[" + json + "," + json + "]}";

        HasMetadata parsed = serialization.unmarshal(json, kind.type());
        Object parsedList = serialization.unmarshal(list, listType);
        WatchEvent parsedEvent = serialization.unmarshal("{\"type\":\"MODIFIED\",\"object\":" + json + "}", WatchEvent.class);

        assertThat(parsed).isEqualTo(fabric8.unmarshal(withoutManagedFields(json), kind.type()));
        assertThat(parsedList).isEqualTo(fabric8.unmarshal(withoutManagedFields(list), listType));
        assertThat(parsedEvent.getObject()).isEqualTo(parsed);
    }

    /** {@code json} without any {@code managedFields} (of the object and of every nested ObjectMeta). */
    private static String withoutManagedFields(String json) {
        JsonNode tree = new ObjectMapper().readTree(json);
        removeManagedFields(tree);
        return tree.toString();
    }

    private static void removeManagedFields(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove("managedFields");
        }
        node.forEach(KubernetesSourceSerializationTest::removeManagedFields);
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
