package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import org.junit.jupiter.api.Test;

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
