package io.sluice.servicelb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link PackedEndpointSlice} is, to everything that looks at it, the EndpointSlice it packs: equal both ways, the
 * same hash code, text, endpoints, builder copy, JSON and translation. Endpoints of another shape are refused by the
 * packer.
 */
class PackedEndpointSliceTest {
    private static final ServiceTranslator TRANSLATOR =
            new ServiceTranslator(new ServiceLbConfig(251, 4), Fixtures.node());
    private static final List<EndpointPort> PORTS = List.of(Fixtures.slicePort("http", 8080, "TCP"));
    /** One instance per combination, as the agent's binder shares them. */
    private static final List<EndpointConditions> CONDITIONS = allConditions();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UID = "0f8fad5b-d9cb-469f-a165-70867728950e";

    /** An endpoint as the agent's binder writes one it does not pack (immutable, empty maps). */
    private record Spec(String address, EndpointConditions conditions, String nodeName, String zone,
                        ObjectReference targetRef) {
        Spec(String address, EndpointConditions conditions, String nodeName, String zone) {
            this(address, conditions, nodeName, zone, null);
        }

        Endpoint endpoint() {
            Endpoint endpoint = new Endpoint(List.of(address), conditions, Map.of(), null, null, nodeName, targetRef, zone);
            endpoint.setAdditionalProperties(Map.of());
            return endpoint;
        }
    }

    @Property(tries = 500)
    void aPackedSliceIsTheSliceItPacks(@ForAll("endpointLists") List<Spec> specs,
                                       @ForAll("endpointLists") List<Spec> otherSpecs) {
        EndpointSlice plain = plain(specs);
        PackedEndpointSlice packed = pack(specs);
        Statistics.collect(packed == null ? "refused" : "packed");
        if (packed == null) {
            assertThat(specs.stream().allMatch(s -> isCanonicalIpv4(s.address())) && packableRefs(specs))
                    .as("refused though every endpoint is packable").isFalse();
            return;
        }
        assertThat(specs).allMatch(s -> isCanonicalIpv4(s.address()));
        assertThat(packableRefs(specs)).isTrue();
        assertThat(packed).isEqualTo(plain).hasSameHashCodeAs(plain).hasToString(plain.toString());
        assertThat(plain).isEqualTo(packed);
        assertThat(packed.getEndpoints()).isEqualTo(plain.getEndpoints());
        for (int k = 0; k < specs.size(); k++) {
            ObjectReference expected = specs.get(k).targetRef();
            ObjectReference actual = packed.getEndpoints().get(k).getTargetRef();
            if (expected == null) {
                assertThat(actual).isNull();
            } else {
                assertThat(actual.getKind()).isEqualTo(expected.getKind());
                assertThat(actual.getNamespace()).isEqualTo(expected.getNamespace());
                assertThat(actual.getName()).isEqualTo(expected.getName());
                assertThat(actual.getUid()).isEqualTo(expected.getUid());
                assertThat(actual.getApiVersion()).isNull();
                assertThat(actual.getResourceVersion()).isNull();
                assertThat(actual.getFieldPath()).isNull();
                assertThat(actual.getAdditionalProperties()).isEmpty();
                assertThat(actual).isEqualTo(expected).hasSameHashCodeAs(expected).hasToString(expected.toString());
            }
        }
        String json = JSON.writeValueAsString(plain);
        assertThat(JSON.writeValueAsString(packed)).isEqualTo(json);
        assertThat(JSON.readValue(json, EndpointSlice.class)).isEqualTo(packed);
        assertThat(new EndpointSliceBuilder(packed).build()).isEqualTo(plain);
        assertThat(packed.edit().build()).isEqualTo(plain);

        Service service = Fixtures.clusterIpService("web", "10.96.0.10", Fixtures.port("http", 80, "TCP"));
        assertThat(TRANSLATOR.translate(service, List.of(packed)))
                .isEqualTo(TRANSLATOR.translate(service, List.of(plain)));

        PackedEndpointSlice other = pack(otherSpecs);
        if (other != null) {
            boolean plainEqual = plain.equals(plain(otherSpecs));
            assertThat(packed.equals(other)).isEqualTo(plainEqual);
            assertThat(other.equals(packed)).isEqualTo(plainEqual);
        }
        assertThat(pack(specs)).isEqualTo(packed).hasSameHashCodeAs(packed);
    }

    /**
     * A packer reset after another slice (packed, or refused partway) packs the next exactly as a new one does, and
     * takes an address, a Pod's name and uid as any text (the binder's copied chars) as it takes them as Strings.
     */
    @Property(tries = 300)
    void aResetPackerPacksAsANewOne(@ForAll("endpointLists") List<Spec> before,
                                    @ForAll("endpointLists") List<Spec> specs) {
        PackedEndpointSlice.Packer packer = new PackedEndpointSlice.Packer();
        for (Spec spec : before) {
            if (!packer.add(spec.address(), spec.conditions(), spec.nodeName(), spec.zone(), spec.targetRef())) {
                break;
            }
        }
        packer.reset();
        assertThat(packer.count()).isZero();
        boolean refused = false;
        for (Spec spec : specs) {
            ObjectReference ref = spec.targetRef();
            boolean podShaped = ref != null && "Pod".equals(ref.getKind()) && ref.getNamespace() != null
                    && ref.getApiVersion() == null && ref.getResourceVersion() == null && ref.getFieldPath() == null
                    && Map.of().equals(ref.getAdditionalProperties());
            boolean added = ref != null && !podShaped
                    ? packer.add(spec.address(), spec.conditions(), spec.nodeName(), spec.zone(), ref)
                    : packer.add(text(spec.address()), spec.conditions(), spec.nodeName(), spec.zone(),
                            ref == null ? null : ref.getNamespace(), ref == null ? null : text(ref.getName()),
                            ref == null ? null : text(ref.getUid()));
            if (!added) {
                refused = true;
                break;
            }
        }
        PackedEndpointSlice fresh = pack(specs);
        assertThat(refused).isEqualTo(fresh == null);
        if (fresh != null) {
            PackedEndpointSlice reused = packer.slice("IPv4", "discovery.k8s.io/v1", "EndpointSlice", meta(), PORTS);
            assertThat(reused).isEqualTo(fresh).hasSameHashCodeAs(fresh).hasToString(fresh.toString());
            assertThat(reused.getEndpoints()).isEqualTo(plain(specs).getEndpoints());
        }
    }

    /** {@code value} as text that is not a String, or null. */
    private static CharSequence text(String value) {
        return value == null ? null : new StringBuilder(value);
    }

    @Example
    void addressesOtherThanAPlainDottedQuadAreNotPacked() {
        for (String address : List.of("010.0.0.1", "10.0.0.01", "10.0.0.1 ", " 10.0.0.1", "10.0.0", "10.0.0.1.2",
                "256.0.0.1", "10.0.0.256", "1.2.3.-4", "+1.2.3.4", "fd00::1", "::ffff:10.0.0.1", "10..0.1", "",
                "web-0", "1000.0.0.1")) {
            assertThat(new PackedEndpointSlice.Packer().add(address, null, null, null)).as(address).isFalse();
        }
        for (String address : List.of("0.0.0.0", "10.0.0.1", "255.255.255.255", "192.168.100.10", "1.22.133.4")) {
            PackedEndpointSlice.Packer packer = new PackedEndpointSlice.Packer();
            assertThat(packer.add(address, null, null, null)).as(address).isTrue();
            assertThat(packer.slice("IPv4", "discovery.k8s.io/v1", "EndpointSlice", meta(), PORTS).getEndpoints())
                    .singleElement().satisfies(e -> assertThat(e.getAddresses()).containsExactly(address));
        }
    }

    @Example
    void onlyPodReferencesAsTheEndpointSliceControllerWritesThemArePacked() {
        assertThat(new PackedEndpointSlice.Packer().add("10.0.0.1", null, null, null, pod("default", "web-x2b9k", UID)))
                .isTrue();
        List<ObjectReference> others = new ArrayList<>();
        others.add(new ObjectReference(null, null, "Service", "web-x2b9k", "default", null, UID));
        others.add(new ObjectReference("v1", null, "Pod", "web-x2b9k", "default", null, UID));
        others.add(new ObjectReference(null, "spec", "Pod", "web-x2b9k", "default", null, UID));
        others.add(new ObjectReference(null, null, "Pod", "web-x2b9k", "default", "42", UID));
        for (String uid : List.of("0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5bd9cb469fa16570867728950e",
                "0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b-d9cb-469f-a165-70867728950e ", "web", "")) {
            others.add(pod("default", "web-x2b9k", uid));
        }
        others.add(pod("default", "web-x2b9k", null));
        others.add(pod("default", "a/b", UID));
        others.add(pod("default", "", UID));
        others.add(pod("default", null, UID));
        others.add(pod("a/b", "web-x2b9k", UID));
        others.add(pod(null, "web-x2b9k", UID));
        ObjectReference extra = pod("default", "web-x2b9k", UID);
        extra.setAdditionalProperties(Map.of("unknown", "x"));
        others.add(extra);
        ObjectReference unset = pod("default", "web-x2b9k", UID);
        unset.setAdditionalProperties(null);
        others.add(unset);
        for (ObjectReference other : others) {
            assertThat(new PackedEndpointSlice.Packer().add("10.0.0.1", null, null, null, other)).as(other.toString())
                    .isFalse();
        }
        PackedEndpointSlice.Packer packer = new PackedEndpointSlice.Packer();
        assertThat(packer.add("10.0.0.1", null, null, null, pod("default", "web-x2b9k", UID))).isTrue();
        assertThat(packer.add("10.0.0.2", null, null, null, pod("other", "web-x2b9k", UID))).as("another namespace")
                .isFalse();
    }

    @Example
    void conditionsWithMoreThanTheThreeFlagsAreNotPacked() {
        EndpointConditions extra = new EndpointConditions(true, true, false);
        extra.setAdditionalProperties(Map.of("unknown", "x"));
        assertThat(new PackedEndpointSlice.Packer().add("10.0.0.1", extra, null, null)).isFalse();
        EndpointConditions unset = new EndpointConditions(true, true, false);
        unset.setAdditionalProperties(null);
        assertThat(new PackedEndpointSlice.Packer().add("10.0.0.1", unset, null, null)).isFalse();
    }

    @Example
    void onlyIpv4SlicesArePacked() {
        PackedEndpointSlice.Packer packer = new PackedEndpointSlice.Packer();
        packer.add("10.0.0.1", null, null, null);
        assertThat(PackedEndpointSlice.Packer.packs("IPv4")).isTrue();
        for (String type : List.of("IPv6", "FQDN", "ipv4")) {
            assertThat(PackedEndpointSlice.Packer.packs(type)).as(type).isFalse();
            assertThatThrownBy(() -> packer.slice(type, "discovery.k8s.io/v1", "EndpointSlice", meta(), PORTS))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(type);
        }
        assertThat(packer.endpoints()).containsExactly(new Spec("10.0.0.1", null, null, null).endpoint());
    }

    @Example
    void endpointsSetOnAPackedSliceReplaceThePackedOnes() {
        List<Spec> specs = List.of(new Spec("10.0.0.1", CONDITIONS.get(1), "node-a", "a"));
        PackedEndpointSlice packed = pack(specs);
        List<Endpoint> replaced = List.of(new Spec("10.0.0.2", null, null, null).endpoint());
        packed.setEndpoints(replaced);
        assertThat(packed.getEndpoints()).isSameAs(replaced);
        EndpointSlice plain = plain(specs);
        plain.setEndpoints(replaced);
        assertThat(packed).isEqualTo(plain).hasSameHashCodeAs(plain);
        Service service = Fixtures.clusterIpService("web", "10.96.0.10", Fixtures.port("http", 80, "TCP"));
        assertThat(TRANSLATOR.translate(service, List.of(packed)))
                .isEqualTo(TRANSLATOR.translate(service, List.of(plain)));
    }

    @Example
    void aPackedEndpointsConditionsAreTheSharedInstance() {
        EndpointConditions ready = CONDITIONS.get(9); // ready: true, serving and terminating unset
        PackedEndpointSlice packed = pack(List.of(new Spec("10.0.0.1", ready, null, null),
                new Spec("10.0.0.2", ready, null, null)));
        assertThat(packed.getEndpoints().get(0).getConditions()).isEqualTo(ready)
                .isSameAs(packed.getEndpoints().get(1).getConditions());
    }

    // ---- slices ----------------------------------------------------------------------------------------------------

    private static ObjectMeta meta() {
        ObjectMeta meta = new ObjectMetaBuilder().withNamespace(Fixtures.NS).withName("web-1")
                .withLabels(Map.of(EndpointSliceReader.SERVICE_NAME_LABEL, "web")).build();
        meta.setAdditionalProperties(Map.of());
        return meta;
    }

    /** The slice as the agent's binder makes it when it does not pack. */
    private static EndpointSlice plain(List<Spec> specs) {
        EndpointSlice slice = new EndpointSlice("IPv4", "discovery.k8s.io/v1",
                List.copyOf(specs.stream().map(Spec::endpoint).toList()), "EndpointSlice", meta(), PORTS);
        slice.setAdditionalProperties(Map.of());
        return slice;
    }

    /** The packed slice, or null when the packer refuses an endpoint. */
    private static PackedEndpointSlice pack(List<Spec> specs) {
        PackedEndpointSlice.Packer packer = new PackedEndpointSlice.Packer();
        for (Spec spec : specs) {
            if (!packer.add(spec.address(), spec.conditions(), spec.nodeName(), spec.zone(), spec.targetRef())) {
                return null;
            }
        }
        assertThat(packer.count()).isEqualTo(specs.size());
        return packer.slice("IPv4", "discovery.k8s.io/v1", "EndpointSlice", meta(), PORTS);
    }

    /** A Pod reference as the endpointslice controller writes it (and the agent's binder reads it). */
    private static ObjectReference pod(String namespace, String name, String uid) {
        ObjectReference ref = new ObjectReference(null, null, "Pod", name, namespace, null, uid);
        ref.setAdditionalProperties(Map.of());
        return ref;
    }

    /** Whether every targetRef of {@code specs} may be packed: a Pod's, as the controller writes it, one namespace. */
    private static boolean packableRefs(List<Spec> specs) {
        List<ObjectReference> refs = specs.stream().map(Spec::targetRef).filter(r -> r != null).toList();
        return refs.stream().allMatch(r -> r.getKind().equals("Pod") && r.getApiVersion() == null
                && r.getName() != null && !r.getName().isEmpty() && !r.getName().contains("/")
                && r.getUid() != null && r.getUid().matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"))
                && refs.stream().map(ObjectReference::getNamespace).distinct().count() <= 1;
    }

    private static boolean isCanonicalIpv4(String text) {
        try {
            IpAddress address = IpAddress.parse(text);
            return address.family() == IpFamily.IPV4 && IpAddress.ipv4Text((int) address.low()).equals(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    // ---- generated endpoints ---------------------------------------------------------------------------------------

    @Provide
    Arbitrary<List<Spec>> endpointLists() {
        Arbitrary<String> canonical = Arbitraries.integers().between(0, 255).list().ofSize(4)
                .map(o -> o.get(0) + "." + o.get(1) + "." + o.get(2) + "." + o.get(3));
        Arbitrary<String> few = Arbitraries.of("10.0.0.1", "10.0.0.2", "10.0.0.3");
        Arbitrary<String> odd = Arbitraries.of("010.0.0.1", "10.0.0.1 ", "fd00::1", "10.0.0", "web");
        Arbitrary<String> addresses = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, canonical), net.jqwik.api.Tuple.of(5, few), net.jqwik.api.Tuple.of(1, odd));
        Arbitrary<EndpointConditions> conditions = Arbitraries.of(CONDITIONS).injectNull(0.2);
        // A few nodes, or up to 15 (a slice's names are then looked up in a table instead of by a scan).
        Arbitrary<String> nodes = Arbitraries.oneOf(Arbitraries.of("node-a", "node-b", "node-c"),
                Arbitraries.integers().between(0, 14).map(n -> "node-" + n)).injectNull(0.4);
        Arbitrary<String> zones = Arbitraries.of("a", "b").injectNull(0.5);
        Arbitrary<String> podNames = Arbitraries.of("web-x2b9k", "web-7c5d9f8b6d-qz2lm", "w", "web.a-1", "a/b", "");
        Arbitrary<String> uids = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, Arbitraries.create(() -> java.util.UUID.randomUUID().toString())),
                net.jqwik.api.Tuple.of(3, Arbitraries.of(UID, "00000000-0000-0000-0000-000000000000",
                        "ffffffff-ffff-ffff-ffff-ffffffffffff", "80000000-0000-0000-8000-000000000000")),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(UID.toUpperCase(), UID.replace("-", ""), "pod-uid")));
        Arbitrary<String> namespaces = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(20, Arbitraries.just(Fixtures.NS)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("other")));
        Arbitrary<ObjectReference> refs = Combinators.combine(namespaces, podNames, uids).as(PackedEndpointSliceTest::pod)
                .injectNull(0.3);
        return Combinators.combine(addresses, conditions, nodes, zones, refs).as(Spec::new).list().ofMaxSize(12);
    }

    /** Every combination of the three conditions, each unset, true or false. */
    private static List<EndpointConditions> allConditions() {
        List<EndpointConditions> all = new ArrayList<>();
        Boolean[] values = {null, true, false};
        for (Boolean ready : values) {
            for (Boolean serving : values) {
                for (Boolean terminating : values) {
                    EndpointConditions conditions = new EndpointConditions(ready, serving, terminating);
                    conditions.setAdditionalProperties(Map.of());
                    all.add(conditions);
                }
            }
        }
        return List.copyOf(all);
    }
}
