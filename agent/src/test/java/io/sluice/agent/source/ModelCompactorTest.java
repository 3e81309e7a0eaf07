package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * A compacted object is the same object to everyone who reads it (equal, same hash code, same YAML, builders still
 * start from it), holds no empty mutable collection any more, and shares the values other objects repeat.
 */
class ModelCompactorTest {
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();

    /**
     * Text looked up as chars (where a binder has it in its reader's buffer) comes back as the String the shared table
     * gives for it, equal to it, whatever surrounds it in the buffer and whatever was looked up before; the table holds
     * the first texts up to its capacity, and gives any later new text back as it is (a table of its own per try, so
     * what it holds is known whatever the other tests of this JVM shared).
     */
    @Property(tries = 300)
    void textAsCharsIsSharedAsItsString(@ForAll @net.jqwik.api.constraints.Size(max = 8) List<
                                                @net.jqwik.api.constraints.StringLength(max = 3)
                                                @net.jqwik.api.constraints.CharRange(from = 'a', to = 'c') String> texts,
                                        @ForAll @net.jqwik.api.constraints.IntRange(max = 5) int margin,
                                        @ForAll @net.jqwik.api.constraints.IntRange(max = 4) int capacity) {
        ModelCompactor.SharedStrings strings = new ModelCompactor.SharedStrings(capacity);
        Set<String> held = new java.util.HashSet<>();
        for (String text : texts) {
            if (held.size() < capacity) {
                held.add(text);
            }
            char[] buffer = new char[text.length() + 2 * margin];
            java.util.Arrays.fill(buffer, 'x');
            text.getChars(0, text.length(), buffer, margin);
            String shared = strings.of(buffer, margin, text.length());
            assertThat(shared).isEqualTo(text);
            String probe = new String(text);
            if (held.contains(text)) {
                assertThat(strings.of(probe)).as("held: " + text).isSameAs(shared);
            } else {
                assertThat(strings.of(probe)).as("not held, the table being full: " + text).isSameAs(probe);
            }
        }
    }

    @Property(tries = 200)
    void aCompactedServiceReadsTheSame(@ForAll("services") Service generated) {
        Service service = fabric8.unmarshal(fabric8.asYaml(generated));
        Service copy = fabric8.clone(service);
        assertThat(emptyMutableCollections(service)).as("fabric8 makes empty collections").isPositive();

        assertThat(ModelCompactor.compact(service)).isSameAs(service);

        assertThat(service).isEqualTo(copy).hasSameHashCodeAs(copy);
        assertThat(fabric8.asYaml(service)).isEqualTo(fabric8.asYaml(copy));
        assertThat(emptyMutableCollections(service)).isZero();
        Service edited = new ServiceBuilder(service).editMetadata().addToLabels("edited", "yes").endMetadata().build();
        assertThat(edited.getMetadata().getLabels()).containsEntry("edited", "yes");
        assertThat(service.getMetadata().getLabels()).doesNotContainKey("edited");
    }

    @Property(tries = 200)
    void aCompactedEndpointSliceReadsTheSame(@ForAll("slices") EndpointSlice generated) {
        EndpointSlice slice = fabric8.unmarshal(fabric8.asYaml(generated));
        EndpointSlice copy = fabric8.clone(slice);

        ModelCompactor.compact(slice);

        assertThat(slice).isEqualTo(copy).hasSameHashCodeAs(copy);
        assertThat(fabric8.asYaml(slice)).isEqualTo(fabric8.asYaml(copy));
        assertThat(emptyMutableCollections(slice)).isZero();
        EndpointSlice edited = new EndpointSliceBuilder(slice).addNewEndpoint().withAddresses("10.9.9.9").endEndpoint().build();
        assertThat(edited.getEndpoints()).hasSize(slice.getEndpoints().size() + 1);
    }

    @Test
    void valuesThatObjectsRepeatAreHeldOnce() {
        String yaml = """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: %s, namespace: shop, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                - {addresses: [%s], conditions: {ready: true}}
                - {addresses: [10.0.0.9], conditions: {ready: false}}
                """;
        EndpointSlice a = ModelCompactor.compact(fabric8.<EndpointSlice>unmarshal(yaml.formatted("web-a", "10.0.0.1")));
        EndpointSlice b = ModelCompactor.compact(fabric8.<EndpointSlice>unmarshal(yaml.formatted("web-b", "10.0.0.2")));

        assertThat(a.getApiVersion()).isSameAs(b.getApiVersion());
        assertThat(a.getKind()).isSameAs(b.getKind());
        assertThat(a.getMetadata().getNamespace()).isSameAs(b.getMetadata().getNamespace());
        assertThat(a.getAddressType()).isSameAs(b.getAddressType());
        assertThat(a.getPorts().getFirst()).isSameAs(b.getPorts().getFirst());
        assertThat(a.getEndpoints().get(0).getConditions()).isSameAs(b.getEndpoints().get(0).getConditions())
                .isNotSameAs(a.getEndpoints().get(1).getConditions());
        assertThat(a.getEndpoints().get(1).getConditions().getReady()).isFalse();
        assertThat(a.getMetadata().getLabels()).isEqualTo(Map.of("kubernetes.io/service-name", "web"));
        assertThatThrownBy(() -> a.getMetadata().getLabels().put("edited", "yes"))
                .as("a one-label map is Map.of's").isInstanceOf(UnsupportedOperationException.class);
        assertThat(a.getMetadata().getLabels().keySet().iterator().next())
                .isSameAs(b.getMetadata().getLabels().keySet().iterator().next());
        assertThat(a.getMetadata().getName()).isEqualTo("web-a");
        assertThat(a.getEndpoints().getFirst().getAddresses()).containsExactly("10.0.0.1");
        assertThat(b.getEndpoints().getFirst().getAddresses()).containsExactly("10.0.0.2");
        assertThatThrownBy(() -> a.getEndpoints().getFirst().getAddresses().add("10.0.0.3"))
                .as("a compacted list is immutable, like its shared parts")
                .isInstanceOf(UnsupportedOperationException.class);
    }

    /**
     * A new version of a slice (some endpoints kept, some gone, some new, in any order) that shares the previous
     * version's equal parts reads as it did, leaves the previous version as it was, and holds each endpoint value the
     * two versions have in common as the previous version's instance.
     */
    @Property(tries = 300)
    void aNewVersionSharesThePreviousVersionsEqualPartsAndReadsTheSame(
            @ForAll("slices") EndpointSlice generated, @ForAll("slices") EndpointSlice other,
            @ForAll List<Boolean> kept, @ForAll long seed, @ForAll boolean relabelled) {
        EndpointSlice previous = ModelCompactor.compact(fabric8.<EndpointSlice>unmarshal(fabric8.asYaml(generated)));
        previous.getMetadata().setResourceVersion("7");
        String previousYaml = fabric8.asYaml(previous);
        EndpointSlice previousCopy = fabric8.clone(previous);
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < generated.getEndpoints().size(); i++) {
            if (i >= kept.size() || kept.get(i)) {
                endpoints.add(generated.getEndpoints().get(i));
            }
        }
        endpoints.addAll(other.getEndpoints());
        Collections.shuffle(endpoints, new Random(seed));
        EndpointSliceBuilder next = new EndpointSliceBuilder(generated).withEndpoints(endpoints);
        if (relabelled) {
            next.editMetadata().addToLabels("tier", "web").endMetadata();
        }
        EndpointSlice fresh = ModelCompactor.compact(fabric8.<EndpointSlice>unmarshal(fabric8.asYaml(next.build())));
        EndpointSlice freshCopy = fabric8.clone(fresh);

        assertThat(ModelCompactor.shareUnchanged(fresh, previous)).isSameAs(fresh);

        assertThat(fresh).isEqualTo(freshCopy).hasSameHashCodeAs(freshCopy);
        assertThat(fabric8.asYaml(fresh)).isEqualTo(fabric8.asYaml(freshCopy));
        assertThat(previous).isEqualTo(previousCopy);
        assertThat(fabric8.asYaml(previous)).isEqualTo(previousYaml);
        assertThat(fresh.getMetadata()).as("sources set a version's resourceVersion in place").isNotSameAs(previous.getMetadata());
        assertThat(fresh.getMetadata().getName()).isSameAs(previous.getMetadata().getName());
        assertThat(fresh.getMetadata().getLabels() == previous.getMetadata().getLabels()).isEqualTo(!relabelled);
        Set<Endpoint> previousInstances = Collections.newSetFromMap(new IdentityHashMap<>());
        previousInstances.addAll(previous.getEndpoints());
        for (Endpoint endpoint : previous.getEndpoints()) {
            if (fresh.getEndpoints().contains(endpoint)) {
                assertThat(fresh.getEndpoints()).as("%s, in both versions, held as the previous version's", endpoint)
                        .anyMatch(e -> e.equals(endpoint) && previousInstances.contains(e)); // an identity set
            }
        }
    }

    @Test
    void aNewVersionWhoseMetadataIsEqualStillHasItsOwn() {
        String yaml = """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-a, namespace: shop, resourceVersion: "7", labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                endpoints:
                - {addresses: [10.0.0.1], conditions: {ready: true}}
                - {addresses: [%s], conditions: {ready: true}}
                """;
        EndpointSlice previous = ModelCompactor.compact(fabric8.<EndpointSlice>unmarshal(yaml.formatted("10.0.0.2")));
        EndpointSlice fresh = ModelCompactor.compact(fabric8.<EndpointSlice>unmarshal(yaml.formatted("10.0.0.3")));

        ModelCompactor.shareUnchanged(fresh, previous);
        fresh.getMetadata().setResourceVersion("8");

        assertThat(previous.getMetadata().getResourceVersion()).isEqualTo("7");
        assertThat(fresh.getEndpoints().get(0)).isSameAs(previous.getEndpoints().get(0));
        assertThat(fresh.getEndpoints().get(1).getAddresses()).containsExactly("10.0.0.3");
        assertThat(previous.getEndpoints().get(1).getAddresses()).containsExactly("10.0.0.2");
    }

    /** Empty maps and lists that could still take elements, reachable from {@code root} through fabric8's model. */
    private static int emptyMutableCollections(Object root) {
        return count(root, new IdentityHashMap<>());
    }

    private static int count(Object object, IdentityHashMap<Object, Boolean> seen) {
        if (object == null || !object.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")
                || seen.put(object, true) != null) {
            return 0;
        }
        int n = 0;
        for (Class<?> c = object.getClass(); c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive() || !f.trySetAccessible()) {
                    continue;
                }
                Object value;
                try {
                    value = f.get(object);
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
                if (value instanceof Map<?, ?> map) {
                    n += map.isEmpty() && mutable(map) ? 1 : 0;
                    for (Object v : map.values()) {
                        n += count(v, seen);
                    }
                } else if (value instanceof Collection<?> collection) {
                    n += collection.isEmpty() && mutable(collection) ? 1 : 0;
                    for (Object v : collection) {
                        n += count(v, seen);
                    }
                } else {
                    n += count(value, seen);
                }
            }
        }
        return n;
    }

    private static boolean mutable(Map<?, ?> map) {
        return map.getClass().getName().startsWith("java.util.") && !map.getClass().getName().startsWith("java.util.ImmutableCollections");
    }

    private static boolean mutable(Collection<?> collection) {
        return collection.getClass().getName().startsWith("java.util.")
                && !collection.getClass().getName().startsWith("java.util.ImmutableCollections");
    }

    @Provide
    Arbitrary<Service> services() {
        return ModelArbitraries.services();
    }

    @Provide
    Arbitrary<EndpointSlice> slices() {
        return ModelArbitraries.slices();
    }
}
