package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The {@code managedFields} a real API server sends with each object (server-side apply's per-field record, which
 * nothing in the agent reads): the agent's parse ({@link KubernetesSource#serialization()}) reads past it, and the
 * informers' cache ({@link KubernetesSource.CompactingItemStore}) holds objects without it, parsed by any other
 * serialization too; otherwise each object is as parsed.
 */
class KubernetesSourceManagedFieldsTest {
    /** fabric8's default serialization, which builds {@code managedFields}. */
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();

    @Property(tries = 50)
    void theAgentsParseSkipsManagedFieldsAndReadsTheRestAsFabric8Does(@ForAll @IntRange(min = 1, max = 20) int endpoints,
                                                                      @ForAll @IntRange(min = 1, max = 3) int managers) {
        String json = sliceJson("1", endpoints, managers);

        EndpointSlice parsed = KubernetesSource.serialization().unmarshal(json, EndpointSlice.class);

        assertThat(parsed.getMetadata().getManagedFields()).isEmpty();
        assertThat(parsed).isEqualTo(withoutManagedFields(fabric8.unmarshal(json, EndpointSlice.class)));
    }

    @Property(tries = 50)
    void aListedOrWatchedSliceIsHeldWithoutManagedFieldsAndOtherwiseAsParsed(@ForAll @IntRange(min = 1, max = 20) int endpoints,
                                                                           @ForAll @IntRange(min = 1, max = 3) int managers) {
        KubernetesSource.CompactingItemStore<EndpointSlice> store = new KubernetesSource.CompactingItemStore<>();
        EndpointSlice parsed = fabric8.unmarshal(sliceJson("1", endpoints, managers), EndpointSlice.class);
        assertThat(parsed.getMetadata().getManagedFields()).as("the parse keeps what the server sent").hasSize(managers);
        EndpointSlice expected = withoutManagedFields(fabric8.unmarshal(sliceJson("1", endpoints, managers), EndpointSlice.class));
        String key = Cache.metaNamespaceKeyFunc(parsed);

        store.put(key, parsed);
        assertThat(store.get(key).getMetadata().getManagedFields()).isEmpty();
        assertThat(store.get(key)).isEqualTo(expected);

        // The watch's next version of it goes the same way (its unchanged parts shared with the held one).
        EndpointSlice next = fabric8.unmarshal(sliceJson("2", endpoints + 1, managers), EndpointSlice.class);
        store.put(key, next);
        assertThat(store.get(key).getMetadata().getManagedFields()).isEmpty();
        assertThat(store.get(key)).isEqualTo(withoutManagedFields(
                fabric8.unmarshal(sliceJson("2", endpoints + 1, managers), EndpointSlice.class)));
    }

    @Test
    void aServiceKeepsEverythingButItsManagedFields() {
        String json = """
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop","resourceVersion":"7",
                 "labels":{"app":"web"},"annotations":{"note":"kept"},
                 "managedFields":[{"manager":"kubectl","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
                   "fieldsV1":{"f:spec":{"f:ports":{"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:port":{}}},
                   "f:selector":{}}}}]},
                 "spec":{"clusterIP":"10.96.0.10","selector":{"app":"web"},
                  "ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}
                """;
        Service held = KubernetesSource.withoutManagedFields(fabric8.unmarshal(json, Service.class));

        assertThat(held.getMetadata().getManagedFields()).isEmpty();
        assertThat(held.getMetadata().getLabels()).containsEntry("app", "web");
        assertThat(held.getMetadata().getAnnotations()).containsEntry("note", "kept");
        assertThat(held.getSpec().getClusterIP()).isEqualTo("10.96.0.10");
        assertThat(held.getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getTargetPort().getIntVal()).isEqualTo(8080));
    }

    private static <T extends HasMetadata> T withoutManagedFields(T object) {
        object.getMetadata().setManagedFields(List.of());
        return object;
    }

    /** An EndpointSlice with {@code managers} managedFields entries, each a tree of fieldsV1 keys (one per endpoint). */
    static String sliceJson(String resourceVersion, int endpoints, int managers) {
        StringBuilder addresses = new StringBuilder();
        StringBuilder fields = new StringBuilder();
        for (int e = 0; e < endpoints; e++) {
            String ip = "10.1." + e / 250 + "." + (e % 250 + 1);
            addresses.append(e == 0 ? "" : ",").append("""
                    {"addresses":["%s"],"conditions":{"ready":true},"nodeName":"node-%d"}""".formatted(ip, e % 3));
            fields.append(e == 0 ? "" : ",").append("""
                    "k:{\\"addresses\\":[\\"%s\\"]}":{".":{},"f:conditions":{"f:ready":{}},"f:nodeName":{}}""".formatted(ip));
        }
        StringBuilder entries = new StringBuilder();
        for (int m = 0; m < managers; m++) {
            entries.append(m == 0 ? "" : ",").append("""
                    {"manager":"manager-%d","operation":"Update","apiVersion":"discovery.k8s.io/v1",
                     "time":"2026-11-30T06:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:endpoints":{%s}}}"""
                    .formatted(m, fields));
        }
        return """
                {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","addressType":"IPv4",
                 "metadata":{"name":"web-abcde","namespace":"shop","resourceVersion":"%s",
                  "labels":{"kubernetes.io/service-name":"web"},"managedFields":[%s]},
                 "endpoints":[%s],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}
                """.formatted(resourceVersion, entries, addresses);
    }
}
