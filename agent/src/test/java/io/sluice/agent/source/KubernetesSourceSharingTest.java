package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The informer's item store ({@link KubernetesSource.CompactingItemStore}) over a sequence of watch events for one
 * EndpointSlice, each parsed from JSON as fabric8's watch does: every version it holds reads as parsed, holds the
 * endpoints it has in common with the version before as that version's instances, and no version handed out before
 * (to handlers and the writer's store) changes afterwards. A replayed version (same resourceVersion) leaves the held
 * instance in place.
 */
class KubernetesSourceSharingTest {
    private final KubernetesSerialization fabric8 = KubernetesSource.serialization();

    /** One watch event: which endpoints of the held version stay, the new ones, their order, a label, or a replay. */
    record Change(List<Boolean> kept, List<Endpoint> added, long seed, boolean relabelled, boolean replay) {
    }

    /** A version handed out by the store, and a deep copy of it made when it was. */
    private record HandedOut(EndpointSlice slice, EndpointSlice copy) {
    }

    @Property(tries = 200)
    void eachVersionReadsAsParsedKeepsTheVersionBeforesEqualEndpointsAndChangesNoEarlierVersion(
            @ForAll("slices") EndpointSlice first, @ForAll("changes") List<Change> changes) {
        KubernetesSource.CompactingItemStore<EndpointSlice> store = new KubernetesSource.CompactingItemStore<>();
        List<HandedOut> handedOut = new ArrayList<>();
        EndpointSlice version = new EndpointSliceBuilder(first).editMetadata().withResourceVersion("1").endMetadata().build();
        String key = Cache.metaNamespaceKeyFunc(version);
        EndpointSlice parsed = parse(version);
        assertThat(store.put(key, parsed)).isNull();
        handedOut.add(new HandedOut(parsed, fabric8.clone(parsed)));
        int resourceVersion = 1;

        for (Change change : changes) {
            EndpointSlice held = store.get(key);
            if (change.replay()) {
                assertThat(store.put(key, parse(version))).isSameAs(held);
                assertThat(store.get(key)).as("a replay of the version held").isSameAs(held);
                continue;
            }
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < version.getEndpoints().size(); i++) {
                if (i >= change.kept().size() || change.kept().get(i)) {
                    endpoints.add(version.getEndpoints().get(i));
                }
            }
            endpoints.addAll(change.added());
            Collections.shuffle(endpoints, new Random(change.seed()));
            EndpointSliceBuilder next = new EndpointSliceBuilder(version).withEndpoints(endpoints)
                    .editMetadata().withResourceVersion(Integer.toString(++resourceVersion)).endMetadata();
            if (change.relabelled()) {
                next.editMetadata().addToLabels("tier", "v" + resourceVersion).endMetadata();
            }
            version = next.build();
            EndpointSlice fresh = parse(version);

            assertThat(store.put(key, fresh)).isSameAs(held);

            assertThat(store.get(key)).as("the instance fabric8 hands its handlers").isSameAs(fresh);
            assertThat(fresh).isEqualTo(version).hasSameHashCodeAs(version);
            assertThat(fresh).isEqualTo(parse(version));
            assertThat(fresh.getMetadata()).isNotSameAs(held.getMetadata());
            assertThat(fresh.getMetadata().getName()).isSameAs(held.getMetadata().getName());
            Set<Endpoint> heldInstances = Collections.newSetFromMap(new IdentityHashMap<>());
            heldInstances.addAll(held.getEndpoints());
            for (Endpoint endpoint : fresh.getEndpoints()) {
                if (held.getEndpoints().contains(endpoint)) {
                    assertThat(fresh.getEndpoints()).as("%s, in both versions, held as the version before held it", endpoint)
                            .anyMatch(e -> e.equals(endpoint) && heldInstances.contains(e));
                }
            }
            handedOut.add(new HandedOut(fresh, fabric8.clone(fresh)));
            for (HandedOut earlier : handedOut) {
                assertThat(earlier.slice()).as("a version handed out before").isEqualTo(earlier.copy());
            }
        }
    }

    /** {@code slice} as a watch event brings it: a new instance parsed from the API server's JSON. */
    private EndpointSlice parse(EndpointSlice slice) {
        return fabric8.unmarshal(fabric8.asJson(slice), EndpointSlice.class);
    }

    @Provide
    Arbitrary<EndpointSlice> slices() {
        return ModelArbitraries.slices();
    }

    @Provide
    Arbitrary<List<Change>> changes() {
        return Combinators.combine(Arbitraries.of(true, false).list().ofMaxSize(12),
                        ModelArbitraries.slices().map(EndpointSlice::getEndpoints).map(e -> e.subList(0, Math.min(e.size(), 3))),
                        Arbitraries.longs(), Arbitraries.of(true, false), Arbitraries.integers().between(0, 4).map(i -> i == 0))
                .as(Change::new)
                .list().ofMinSize(1).ofMaxSize(8);
    }
}
