package io.sluice.agent.writer;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.agent.model.ResourceKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The store's index of EndpointSlices by Service follows every upsert, relabelling and deletion. */
class StoreTest {
    private static final List<String> NAMESPACES = List.of("default", "shop");
    private static final List<String> SERVICES = List.of("web", "api");

    /** An upsert of slice {@code name} labelled for {@code service} (null: no label), or its deletion. */
    record Step(String namespace, String name, String service, boolean delete) {
    }

    @Property(tries = 300)
    void theSlicesOfAServiceAreThoseLabelledForItAndNotDeleted(@ForAll("steps") List<Step> steps) {
        Store store = new Store();
        Map<List<String>, String> labelled = new HashMap<>(); // (namespace, name) -> service, for the live slices
        int version = 0;
        for (Step step : steps) {
            Store.Entry entry = store.findOrCreate(ResourceKind.ENDPOINT_SLICE, step.namespace(), step.name());
            if (step.delete()) {
                store.delete(entry);
                store.remove(entry);
                labelled.remove(List.of(step.namespace(), step.name()));
            } else {
                store.upsert(entry, slice(step, Integer.toString(++version)));
                labelled.put(List.of(step.namespace(), step.name()), step.service());
            }
            for (String namespace : NAMESPACES) {
                for (String service : SERVICES) {
                    List<String> expected = labelled.entrySet().stream()
                            .filter(e -> e.getKey().getFirst().equals(namespace) && service.equals(e.getValue()))
                            .map(e -> e.getKey().getLast()).toList();
                    assertThat(store.endpointSlicesOf(namespace, service)).as(namespace + "/" + service)
                            .extracting(s -> s.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(expected);
                    assertThat(store.hasEndpointSlices(namespace, service)).as("has slices: " + namespace + "/" + service)
                            .isEqualTo(!expected.isEmpty());
                }
            }
        }
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        return Combinators.combine(Arbitraries.of(NAMESPACES), Arbitraries.of("s1", "s2", "s3", "s4"),
                        Arbitraries.of("web", "api").injectNull(0.15), Arbitraries.integers().between(0, 3).map(i -> i == 0))
                .as(Step::new).list().ofMaxSize(30);
    }

    private static EndpointSlice slice(Step step, String resourceVersion) {
        Map<String, String> labels = step.service() == null ? Map.of() : Map.of(Store.SERVICE_NAME_LABEL, step.service());
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(step.namespace()).withName(step.name())
                .withResourceVersion(resourceVersion).withLabels(labels).endMetadata()
                .withAddressType("IPv4").build();
    }
}
