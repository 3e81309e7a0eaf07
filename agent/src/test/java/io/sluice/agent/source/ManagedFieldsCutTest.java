package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A watch event's {@code object.metadata.managedFields} cut out of its text before the parse ({@link ManagedFieldsCut}):
 * what is read is the event less that member, wherever it stands in the metadata and whatever its strings hold, and
 * the event is read as fabric8 reads it (less {@code managedFields}); a {@code managedFields} anywhere else, or not in
 * the API server's compact form, is left in the text.
 */
class ManagedFieldsCutTest {
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();
    private final KubernetesSerialization agent = KubernetesSource.serialization();
    private final JsonMapper json = JsonMapper.builder().build();

    @Property(tries = 200)
    void theMemberIsCutWhereverItStandsInTheMetadataAndTheEventReadsAsFabric8ReadsIt(
            @ForAll @IntRange(min = 0, max = 5) int position,
            @ForAll @Size(max = 3) List<@StringLength(max = 12) String> managers,
            @ForAll @StringLength(max = 12) String annotation,
            @ForAll boolean managedFieldsLabel) {
        List<String> members = new ArrayList<>(List.of("\"name\":\"web-abcde\"", "\"namespace\":\"shop\"",
                "\"resourceVersion\":\"7\"",
                "\"labels\":{\"kubernetes.io/service-name\":\"web\"" + (managedFieldsLabel ? ",\"managedFields\":\"[x]\"" : "") + "}",
                "\"annotations\":{\"note\":" + fabric8.asJson(annotation) + ",\"json\":"
                        + fabric8.asJson("{\"managedFields\":[{\"a\":\"]\\\\\"}]}") + "}"));
        StringBuilder entries = new StringBuilder();
        for (String manager : managers) {
            entries.append(entries.isEmpty() ? "" : ",").append("""
                    {"manager":%s,"operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:ownerReferences":\
                    {"k:{\\"uid\\":\\"%s\\"}":{}}},"f:endpoints":{}}}""".formatted(fabric8.asJson(manager), manager.hashCode()));
        }
        members.add(Math.min(position, members.size()), "\"managedFields\":[" + entries + "]");
        String message = event(String.join(",", members));

        ManagedFieldsCut cut = ManagedFieldsCut.of(message);

        assertThat(cut).as("cut out").isNotNull();
        JsonNode expected = json.readTree(message);
        ((ObjectNode) expected.get("object").get("metadata")).remove("managedFields");
        assertThat(json.readTree(textOf(cut))).isEqualTo(expected);
        assertReadAsFabric8ReadsIt(message);
    }

    @Test
    void theOnlyMemberOfTheMetadataLeavesItEmpty() {
        String message = event("\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:a\":{}}}]");

        assertThat(textOf(ManagedFieldsCut.of(message))).isEqualTo(event(""));
        assertReadAsFabric8ReadsIt(message);
    }

    @Test
    void aManagedFieldsElsewhereOrNotCompactIsLeftInTheText() {
        List<String> elsewhere = List.of(
                // the event's own member, and one in the object's spec: not the metadata's
                "{\"type\":\"MODIFIED\",\"managedFields\":[],\"object\":" + object("\"name\":\"web-abcde\"") + "}",
                "{\"type\":\"MODIFIED\",\"object\":{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\","
                        + "\"metadata\":{\"name\":\"web-abcde\"},\"spec\":{\"managedFields\":[1]},\"addressType\":\"IPv4\"}}",
                // a metadata's member at the right depth, but not under the event's object
                "{\"type\":\"MODIFIED\",\"status\":{\"metadata\":{\"managedFields\":[]}},\"object\":"
                        + object("\"name\":\"web-abcde\"") + "}",
                // not compact: a space before the member
                event("\"name\":\"web-abcde\", \"managedFields\":[{\"manager\":\"m\"}]"));

        for (String message : elsewhere) {
            assertThat(ManagedFieldsCut.of(message)).as(message).isNull();
            assertReadAsFabric8ReadsIt(message);
        }
    }

    @Test
    void readingAfterTheEndGivesNothingMore() {
        ManagedFieldsCut cut = ManagedFieldsCut.of(event("\"name\":\"a\",\"managedFields\":[]"));
        char[] buffer = new char[4];
        StringBuilder read = new StringBuilder();
        for (int n; (n = cut.read(buffer, 0, buffer.length)) >= 0; ) {
            read.append(buffer, 0, n);
        }

        assertThat(read.toString()).isEqualTo(event("\"name\":\"a\""));
        assertThat(cut.read(buffer, 0, buffer.length)).isEqualTo(-1);
        assertThat(cut.read(buffer, 0, 0)).isZero();
    }

    private void assertReadAsFabric8ReadsIt(String message) {
        WatchEvent read = agent.unmarshal(message, WatchEvent.class);
        WatchEvent expected = fabric8.unmarshal(message, WatchEvent.class);
        ((HasMetadata) expected.getObject()).getMetadata().setManagedFields(List.of());
        assertThat(read).isEqualTo(expected);
    }

    private static String event(String metadataMembers) {
        return "{\"type\":\"MODIFIED\",\"object\":" + object(metadataMembers) + "}";
    }

    private static String object(String metadataMembers) {
        return """
                {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{%s},"addressType":"IPv4",\
                "endpoints":[{"addresses":["10.1.0.1"],"conditions":{"ready":true}}],\
                "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}""".formatted(metadataMembers);
    }

    private static String textOf(ManagedFieldsCut cut) {
        StringWriter text = new StringWriter();
        try (cut) {
            cut.transferTo(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return text.toString();
    }
}
