package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/**
 * Watch events as the agent's serialization reads them ({@link WatchEventSerialization}): an object of a watched kind
 * in one pass, equal to what fabric8's own parse gives (less {@code managedFields}, which the agent never keeps);
 * anything else exactly as fabric8 reads it.
 */
class WatchEventSerializationTest {
    /** fabric8's default serialization: every kind, {@code managedFields} built. */
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();
    private final KubernetesSerialization agent = KubernetesSource.serialization();

    @Property(tries = 60)
    void aWatchedSlicesEventIsReadInOnePassAsFabric8ReadsIt(@ForAll @IntRange(min = 1, max = 20) int endpoints,
                                                            @ForAll @IntRange(min = 0, max = 3) int managers,
                                                            @ForAll("types") String type, @ForAll boolean typeFirst) {
        String object = KubernetesSourceManagedFieldsTest.sliceJson("7", endpoints, managers);
        String message = typeFirst ? "{\"type\":\"" + type + "\",\"object\":" + object + "}"
                : "{\"object\":" + object + ",\"type\":\"" + type + "\"}";

        WatchEvent read = agent.unmarshal(message, WatchEvent.class);

        assertThat(((WatchEventSerialization) agent).watchEventOf(message)).as("read in one pass").isNotNull();
        WatchEvent expected = fabric8.unmarshal(message, WatchEvent.class);
        withoutManagedFields((HasMetadata) expected.getObject());
        assertThat(read.getObject()).isInstanceOf(EndpointSlice.class).isEqualTo(expected.getObject());
        assertThat(read.getType()).isEqualTo(type);
        assertThat(((HasMetadata) read.getObject()).getMetadata().getManagedFields()).isEmpty();
    }

    /**
     * Every watched kind, its apiVersion and kind first (as the API server writes them: the rest is bound straight from
     * the parser) or after other fields (replayed): read in one pass, equal to fabric8's parse of what the agent reads
     * of it ({@link AgentReadFields}), apiVersion and kind included. An object of nothing but those two is left to fabric8's parse.
     */
    @Property(tries = 60)
    void everyWatchedKindIsReadAsFabric8ReadsItWhereverItsIdentityStands(@ForAll ResourceKind kind,
                                                                        @ForAll @IntRange(min = 0, max = 2) int shape) {
        String identity = "\"apiVersion\":\"" + kind.apiVersion() + "\",\"kind\":\"" + kind.apiKind() + "\"";
        String metadata = "\"metadata\":{\"name\":\"web\"" + (kind.namespaced() ? ",\"namespace\":\"shop\"" : "")
                + ",\"resourceVersion\":\"9\",\"labels\":{\"app\":\"web\"},\"managedFields\":[{\"manager\":\"m\"}]}";
        String object = switch (shape) {
            case 0 -> "{" + identity + "," + metadata + ",\"spec\":{}}";
            case 1 -> "{" + metadata + "," + identity + ",\"spec\":{}}";
            default -> "{" + identity + "}";
        };
        String message = "{\"type\":\"MODIFIED\",\"object\":" + object + "}";

        WatchEvent read = agent.unmarshal(message, WatchEvent.class);

        assertThat(((WatchEventSerialization) agent).watchEventOf(message)).as("read in one pass")
                .matches(event -> (event != null) == (shape != 2));
        WatchEvent expected = fabric8.unmarshal(AgentReadFields.eventAsTheAgentReadsIt(message), WatchEvent.class);
        assertThat(read).isEqualTo(expected);
        assertThat(read.getObject()).isInstanceOfSatisfying(kind.type(), o -> {
            assertThat(o.getApiVersion()).isEqualTo(kind.apiVersion());
            assertThat(o.getKind()).isEqualTo(kind.apiKind());
        });
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> types() {
        return net.jqwik.api.Arbitraries.of("ADDED", "MODIFIED", "DELETED", "BOOKMARK");
    }

    @Test
    void anErrorEventsStatusIsLeftToFabric8AndArrivesTyped() {
        String message = """
                {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                 "message":"too old resource version: 1 (2)","reason":"Expired","code":410}}""";

        assertThat(((WatchEventSerialization) agent).watchEventOf(message)).isNull();
        WatchEvent read = agent.unmarshal(message, WatchEvent.class);
        assertThat(read.getType()).isEqualTo("ERROR");
        assertThat(read.getObject()).isInstanceOfSatisfying(Status.class, s -> assertThat(s.getCode()).isEqualTo(410));
    }

    @Property(tries = 30)
    void aKindTheAgentDoesNotWatchOrAnUnusualEventIsReadAsFabric8ReadsIt(@ForAll @StringLength(min = 1, max = 12) String name,
                                                                         @ForAll @IntRange(min = 0, max = 2) int shape) {
        String quoted = fabric8.asJson(name);
        String message = switch (shape) {
            case 0 -> "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                    + quoted + "},\"data\":{\"k\":\"v\"}}}";
            case 1 -> "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":" + quoted
                    + "},\"apiVersion\":\"v1\",\"kind\":\"Service\"},\"extra\":1}";
            default -> "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":" + quoted + "}}}";
        };

        assertThat(((WatchEventSerialization) agent).watchEventOf(message)).isNull();
        WatchEvent read = agent.unmarshal(message, WatchEvent.class);
        if (shape == 0) {
            // A kind the agent's serialization does not know arrives generic (KubernetesSource#serialization).
            assertThat(read.getObject()).isInstanceOfSatisfying(GenericKubernetesResource.class,
                    r -> assertThat(r.getMetadata().getName()).isEqualTo(name));
        } else {
            assertThat(read).isEqualTo(fabric8.unmarshal(message, WatchEvent.class));
        }
    }

    @Test
    void aMalformedEventFailsAsFabric8sParseFails() {
        String message = "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{";

        assertThatThrownBy(() -> fabric8.unmarshal(message, WatchEvent.class)).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> agent.unmarshal(message, WatchEvent.class))
                .isInstanceOf(RuntimeException.class)
                .hasMessage(catchMessage(() -> fabric8.unmarshal(message, WatchEvent.class)));
    }

    private static String catchMessage(Runnable failing) {
        try {
            failing.run();
        } catch (RuntimeException e) {
            return e.getMessage();
        }
        throw new AssertionError("did not fail");
    }

    private static void withoutManagedFields(HasMetadata object) {
        if (object.getMetadata() != null) {
            object.getMetadata().setManagedFields(List.of());
        }
    }
}
