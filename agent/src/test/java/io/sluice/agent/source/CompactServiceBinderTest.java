package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.agent.cli.CliJson;
import io.sluice.servicelb.NodeContext;
import io.sluice.servicelb.PackedEndpointSlice;
import io.sluice.servicelb.ServiceLbConfig;
import io.sluice.servicelb.ServiceTranslator;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * {@link CompactServiceBinder} gives, for every document it binds, the object the usual path
 * ({@link ManifestDocumentBinder} then {@link ModelCompactor#compact}) gives, and compact as the compactor leaves
 * it; for documents of the supported shape it does bind (it cannot get by refusing everything).
 */
class CompactServiceBinderTest {
    private static final KubernetesSerialization FABRIC8 = new KubernetesSerialization();
    private static final ServiceTranslator TRANSLATOR = new ServiceTranslator(new ServiceLbConfig(251, 4),
            NodeContext.parse("node-1", List.of("192.168.1.10"), List.of()));
    private final ManifestDocumentBinder binder = new ManifestDocumentBinder();

    @BeforeContainer
    static void libYamlIsInstalled() {
        assumeThat(LibYamlParser.available()).as("LibYAML (libyaml-0-2) is installed").isTrue();
    }

    @Property(tries = 3000)
    void anyDocumentIsRefusedOrBoundAsTheUsualPathBindsIt(@ForAll("anyDocuments") String document) {
        HasMetadata direct = CompactServiceBinder.bind(document);
        Object usual = usualPath(document);
        Statistics.collect(direct != null ? "bound" : usual instanceof HasMetadata ? "left, usual path binds" : "left, usual path refuses");
        if (direct != null) {
            assertThat(direct).as(document).isEqualTo(usual);
        }
    }

    /** A document of an ASCII file is bound where it lies in the file's bytes exactly as from its own text. */
    @Property(tries = 1000)
    void anAsciiDocumentIsBoundFromTheFilesBytesAsFromItsText(@ForAll("anyDocuments") String document,
                                                             @ForAll("supportedDocuments") String before) {
        Assume.that(document.chars().allMatch(c -> c < 0x80) && before.chars().allMatch(c -> c < 0x80));
        String file = before + "---\n" + document + "---\n" + before;
        byte[] ascii = file.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int from = before.length() + 4;
        HasMetadata fromBytes = CompactServiceBinder.bind(ascii, from, from + document.length());
        assertThat(fromBytes).as(document).isEqualTo(CompactServiceBinder.bind(document));
    }

    @Property(tries = 1000)
    void aDocumentOfTheSupportedShapeIsBound(@ForAll("supportedDocuments") String document) {
        HasMetadata direct = CompactServiceBinder.bind(document);
        assertThat(direct).as(document).isNotNull().isEqualTo(usualPath(document));
        assertCompact(direct);
    }

    @Property(tries = 200)
    void whatFabric8WritesIsBoundAsTheUsualPathBindsIt(@ForAll("fabric8Objects") HasMetadata object) {
        for (String document : List.of(FABRIC8.asYaml(object), FABRIC8.asJson(object))) {
            HasMetadata direct = CompactServiceBinder.bind(document);
            assertThat(direct).as(document).isNotNull().isEqualTo(usualPath(document));
            assertCompact(direct);
        }
    }

    @Property(tries = 400)
    void aSliceOfTheCommonShapeIsPackedAndIsTheSliceTheUsualPathBinds(@ForAll("commonSlices") CommonSlice slice) {
        HasMetadata direct = CompactServiceBinder.bind(slice.document());
        Object usual = usualPath(slice.document());
        Statistics.collect(direct instanceof PackedEndpointSlice ? "packed" : "fabric8's endpoints");
        assertThat(direct instanceof PackedEndpointSlice).as(slice.document()).isEqualTo(slice.packable());
        assertThat(direct).as(slice.document()).isEqualTo(usual).hasSameHashCodeAs(usual).hasToString(usual.toString());
        assertThat(usual).isEqualTo(direct);
        assertThat(FABRIC8.asJson(direct)).isEqualTo(FABRIC8.asJson(usual));
        assertThat(FABRIC8.asYaml(direct)).isEqualTo(FABRIC8.asYaml(usual));
        assertThat(CliJson.MAPPER.<tools.jackson.databind.JsonNode>valueToTree(direct))
                .isEqualTo(CliJson.MAPPER.<tools.jackson.databind.JsonNode>valueToTree(usual));
        assertThat(new EndpointSliceBuilder((EndpointSlice) direct).build()).isEqualTo(usual);
        Service service = (Service) CompactServiceBinder.bind("""
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: bench}
                spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80, protocol: TCP}]}
                """);
        assertThat(TRANSLATOR.translate(service, List.of((EndpointSlice) direct)))
                .isEqualTo(TRANSLATOR.translate(service, List.of((EndpointSlice) usual)));
        assertCompact(direct);
    }

    @Example
    void theBenchmarksDocumentsAreBoundCompact() {
        String service = """
                apiVersion: v1
                kind: Service
                metadata: {name: svc-1, namespace: bench}
                spec:
                  clusterIP: 10.96.0.1
                  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
                """;
        String slice = """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: svc-1-1
                  namespace: bench
                  labels: {kubernetes.io/service-name: svc-1}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                - {addresses: [10.1.0.1], conditions: {ready: true}}
                - {addresses: [10.1.0.2], conditions: {ready: true}}
                """;
        Service s = (Service) CompactServiceBinder.bind(service);
        assertThat(s).isEqualTo(usualPath(service));
        assertThat(s.getSpec().getPorts().getFirst().getTargetPort().getIntVal()).isEqualTo(8080);
        assertCompact(s);
        EndpointSlice e = (EndpointSlice) CompactServiceBinder.bind(slice);
        assertThat(e).isEqualTo(usualPath(slice));
        assertThat(e.getEndpoints()).hasSize(2);
        assertCompact(e);
        assertThat(e.getEndpoints().get(0).getConditions()).isSameAs(e.getEndpoints().get(1).getConditions());
    }

    @Example
    void valuesJacksonWouldCoerceOrRefuseAreLeftToTheUsualPath() {
        String base = """
                apiVersion: v1
                kind: Service
                metadata: {name: a, namespace: b}
                spec: {ports: [{port: PORT}]}
                """;
        assertThat(CompactServiceBinder.bind(base.replace("PORT", "80"))).isNotNull();
        for (String port : List.of("'80'", "\"80\"", "80.0", "-1", "9999999999", "true", "http", "!!int 80")) {
            assertThat(CompactServiceBinder.bind(base.replace("PORT", port))).as(port).isNull();
        }
        assertThat(CompactServiceBinder.bind(base.replace("name: a", "name: 123"))).isNull();
        assertThat(CompactServiceBinder.bind(base.replace("name: a", "name: a, name: c"))).as("duplicate").isNull();
        assertThat(CompactServiceBinder.bind(base.replace("name: a", "name: a, color: red"))).as("unknown").isNull();
        assertThat(CompactServiceBinder.bind(base.replace("kind: Service", "kind: Pod"))).isNull();
        assertThat(CompactServiceBinder.bind(base.replace("{port: PORT}", "{port: 80"))).as("syntax").isNull();
        assertThat(CompactServiceBinder.bind(base + "---\n" + base.replace("PORT", "80"))).as("two documents").isNull();
    }

    // ---- the usual path and compactness ------------------------------------------------------------------------

    /** What the source kept before this binder: ManifestDocumentBinder's object, compacted; null when it throws. */
    private Object usualPath(String document) {
        List<?> objects;
        try {
            objects = binder.objectsOf(document);
        } catch (RuntimeException refused) {
            return null;
        }
        return objects.size() == 1 ? ModelCompactor.compact(objects.getFirst()) : objects;
    }

    /** Shared strings and leaves, immutable (and shared empty) collections, as ModelCompactor leaves them. */
    private static void assertCompact(HasMetadata object) {
        assertShared(object.getKind());
        assertShared(object.getApiVersion());
        Map<String, Object> additional = object instanceof Service service ? service.getAdditionalProperties()
                : ((EndpointSlice) object).getAdditionalProperties();
        assertThat(additional).isSameAs(Map.of());
        var meta = object.getMetadata();
        assertShared(meta.getNamespace());
        assertImmutable(meta.getLabels());
        assertImmutable(meta.getAnnotations());
        assertThat(meta.getManagedFields()).isSameAs(List.of());
        assertThat(meta.getAdditionalProperties()).isSameAs(Map.of());
        if (object instanceof Service service && service.getSpec() != null) {
            var spec = service.getSpec();
            assertShared(spec.getType());
            assertImmutable(spec.getSelector());
            assertImmutable(spec.getClusterIPs());
            assertImmutable(spec.getPorts());
            assertThat(spec.getAdditionalProperties()).isSameAs(Map.of());
            for (ServicePort port : spec.getPorts()) {
                assertShared(port.getProtocol());
                assertThat(port.getAdditionalProperties()).isSameAs(Map.of());
            }
        }
        if (object instanceof EndpointSlice slice) {
            assertShared(slice.getAddressType());
            assertImmutable(slice.getPorts());
            assertImmutable(slice.getEndpoints());
            slice.getPorts().forEach(port -> assertThat(port).isSameAs(ModelCompactor.sharedLeafOf(copyOf(port))));
            for (Endpoint endpoint : slice.getEndpoints()) {
                assertImmutable(endpoint.getAddresses());
                assertShared(endpoint.getNodeName());
                if (endpoint.getConditions() != null) {
                    assertThat(endpoint.getConditions())
                            .isSameAs(ModelCompactor.sharedLeafOf(copyOf(endpoint.getConditions())));
                }
            }
        }
    }

    private static <T> T copyOf(T leaf) {
        @SuppressWarnings("unchecked")
        T copy = (T) FABRIC8.unmarshal(FABRIC8.asJson(leaf), leaf.getClass());
        return ModelCompactor.compact(copy);
    }

    /**
     * {@code value} is the shared table's instance of it, unless the table is full and holds no such string: it takes
     * no new one after {@link ModelCompactor#MAX_SHARED} (which the other tests of this JVM may have reached), and then
     * two probes come back as themselves.
     */
    private static void assertShared(String value) {
        if (value != null) {
            String first = ModelCompactor.sharedString(new String(value));
            if (first == ModelCompactor.sharedString(new String(value))) {
                assertThat(value).isSameAs(first);
            }
        }
    }

    private static void assertImmutable(Object collection) {
        // ModelCompactor keeps a map of two or more entries as parsed (in order); everything else is immutable.
        boolean immutable = collection.getClass().getName().startsWith("java.util.ImmutableCollections");
        boolean mapInOrder = collection instanceof java.util.LinkedHashMap<?, ?> map && map.size() > 1;
        assertThat(immutable || mapInOrder).as("compact: " + collection.getClass().getName()).isTrue();
        if (collection instanceof Map<?, ?> map && map.size() == 1) {
            assertShared((String) map.keySet().iterator().next());
        }
        if (collection instanceof Map<?, ?> map && map.isEmpty()) {
            assertThat(map).isSameAs(Map.of());
        }
        if (collection instanceof List<?> list && list.isEmpty()) {
            assertThat(list).isSameAs(List.of());
        }
    }

    // ---- generated documents -------------------------------------------------------------------------------------

    /** An EndpointSlice document, and whether it is of the shape the binder packs. */
    record CommonSlice(String document, boolean packable) {
    }

    /**
     * IPv4 slices of the web's Service whose endpoints mostly have the packed shape (one plain dotted quad, some of
     * conditions, nodeName, zone and a Pod targetRef as the endpointslice controller writes it), and the shapes that
     * keep fabric8's endpoints: another address spelling or count, a hostname, a targetRef of another shape or
     * Pods of two namespaces, hints or deprecatedTopology, another address type.
     */
    @Provide
    Arbitrary<CommonSlice> commonSlices() {
        return Arbitraries.randomValue(random -> {
            boolean packable = true;
            String addressType = random.nextInt(12) == 0 ? (random.nextBoolean() ? "IPv6" : "FQDN") : "IPv4";
            packable &= addressType.equals("IPv4");
            StringBuilder endpoints = new StringBuilder();
            Set<String> podNamespaces = new HashSet<>();
            int count = random.nextInt(12);
            packable &= count > 0;
            for (int k = 0; k < count; k++) {
                List<String> fields = new ArrayList<>();
                String address = random.nextInt(4) + "." + random.nextInt(256) + "." + random.nextInt(3) + "." + random.nextInt(256);
                switch (random.nextInt(30)) {
                    case 0 -> {
                        address = "0" + address; // read as decimal elsewhere, so written back otherwise
                        packable = false;
                    }
                    case 1 -> {
                        address = "fd00::" + k;
                        packable = false;
                    }
                    case 2 -> {
                        address = address + ", 10.9.9.9"; // a second address
                        packable = false;
                    }
                    case 3 -> {
                        address = "'" + address + "'";
                    }
                    default -> {
                    }
                }
                fields.add("addresses: [" + address + "]");
                if (random.nextInt(5) > 0) {
                    List<String> conditions = new ArrayList<>();
                    for (String condition : List.of("ready", "serving", "terminating")) {
                        if (random.nextBoolean()) {
                            conditions.add(condition + ": " + (random.nextBoolean() ? "true" : random.nextBoolean() ? "false" : "null"));
                        }
                    }
                    fields.add("conditions: {" + String.join(", ", conditions) + "}");
                }
                if (random.nextBoolean()) {
                    fields.add("nodeName: node-" + random.nextInt(3));
                }
                if (random.nextInt(3) == 0) {
                    fields.add("zone: " + (random.nextBoolean() ? "a" : "null"));
                }
                switch (random.nextInt(40)) {
                    case 0 -> {
                        fields.add("hostname: web-" + k);
                        packable = false;
                    }
                    case 1 -> {
                        fields.add("targetRef: {kind: Pod, name: web-" + k + ", namespace: bench}"); // no uid
                        packable = false;
                    }
                    case 2 -> {
                        fields.add("hints: {forZones: [{name: a}]}");
                        packable = false;
                    }
                    case 3 -> {
                        fields.add("deprecatedTopology: {a: b}");
                        packable = false;
                    }
                    case 4 -> {
                        fields.add("hostname: null"); // as if absent
                    }
                    default -> {
                    }
                }
                if (fields.stream().noneMatch(f -> f.startsWith("targetRef")) && random.nextBoolean()) {
                    String namespace = random.nextInt(60) == 0 ? "other" : "bench";
                    podNamespaces.add(namespace);
                    String uid = new UUID(random.nextLong(), random.nextLong()).toString();
                    String name = "web-" + k + "-x2b9k";
                    List<String> ref = new ArrayList<>(List.of("kind: Pod", "name: " + name, "namespace: " + namespace,
                            "uid: " + (random.nextBoolean() ? uid : "'" + uid + "'")));
                    switch (random.nextInt(60)) {
                        case 0 -> {
                            ref.set(3, "uid: " + uid.toUpperCase(Locale.ROOT));
                            packable = false;
                        }
                        case 1 -> {
                            ref.add("resourceVersion: '42'");
                            packable = false;
                        }
                        case 2 -> {
                            ref.set(0, "kind: Service");
                            packable = false;
                        }
                        case 3 -> {
                            ref.add("apiVersion: v1");
                            packable = false;
                        }
                        default -> {
                        }
                    }
                    Collections.shuffle(ref, random);
                    fields.add("targetRef: {" + String.join(", ", ref) + "}");
                }
                Collections.shuffle(fields, random);
                endpoints.append("- {").append(String.join(", ", fields)).append("}\n");
            }
            packable &= podNamespaces.size() <= 1;
            String document = """
                    apiVersion: discovery.k8s.io/v1
                    kind: EndpointSlice
                    metadata:
                      name: web-1
                      namespace: bench
                      labels: {kubernetes.io/service-name: web}
                    addressType: %s
                    ports: [{name: http, port: 8080, protocol: TCP}]
                    """.formatted(addressType) + (count == 0 && random.nextBoolean() ? "" : "endpoints:" + (count == 0 ? " []\n" : "\n" + endpoints));
            return new CommonSlice(document, packable);
        });
    }

    @Provide
    Arbitrary<String> supportedDocuments() {
        return Arbitraries.randomValue(random -> new Documents(random, false).document());
    }

    @Provide
    Arbitrary<String> anyDocuments() {
        return Arbitraries.randomValue(random -> new Documents(random, true).document());
    }

    @Provide
    Arbitrary<HasMetadata> fabric8Objects() {
        return Arbitraries.oneOf(ModelArbitraries.services(), ModelArbitraries.slices());
    }

    /** A YAML node as written: a scalar with its style, or a mapping or sequence, block or flow. */
    private sealed interface Node {
    }

    private record Scalar(String text, char style) implements Node {
    }

    private record Mapping(List<Map.Entry<String, Node>> entries, boolean flow) implements Node {
    }

    private record Sequence(List<Node> items, boolean flow) implements Node {
    }

    /**
     * Services and EndpointSlices written as YAML with random key order, block and flow collections and scalar
     * styles. Supported ones keep to the binder's shape; the others also get unknown fields, duplicate keys, values
     * of other YAML types, nulls, tags and anchors, other kinds.
     */
    private static final class Documents {
        private final Random random;
        private final boolean wild;

        /** How often wild changes come, in quarters of their base rate: most documents get few or none. */
        private final int level;

        Documents(Random random, boolean wild) {
            this.random = random;
            this.wild = wild;
            this.level = new int[] {0, 1, 1, 2, 4}[random.nextInt(5)];
        }

        String document() {
            Node root = random.nextBoolean() ? service() : slice();
            StringBuilder out = new StringBuilder();
            if (random.nextInt(8) == 0) {
                out.append("---\n");
            }
            if (root instanceof Mapping m && !m.flow()) {
                for (String line : block(root)) {
                    out.append(line).append('\n');
                }
            } else {
                out.append(flow(root)).append('\n');
            }
            return out.toString();
        }

        // -- kinds

        private Node service() {
            List<Map.Entry<String, Node>> fields = new ArrayList<>();
            fields.add(Map.entry("apiVersion", string(odd(20) ? "discovery.k8s.io/v1" : "v1")));
            fields.add(Map.entry("kind", string(odd(20) ? pick("Pod", "EndpointSlice", "ServiceList") : "Service")));
            fields.add(Map.entry("metadata", meta()));
            if (chance(90)) {
                fields.add(Map.entry("spec", serviceSpec()));
            }
            if (chance(20)) {
                fields.add(Map.entry("status", object(List.of(
                        f("loadBalancer", () -> object(List.of(f("ingress", () -> objects(this::ingress))))),
                        f("conditions", () -> new Sequence(List.of(), random.nextBoolean()))))));
            }
            return finish(fields);
        }

        private Node serviceSpec() {
            Field clientIp = f("clientIP", () -> object(List.of(f("timeoutSeconds", () -> integer(1, 86400)))));
            return object(List.of(
                    f("clusterIP", () -> string(ip())), f("clusterIPs", () -> strings(this::ip)),
                    f("type", () -> string(pick("ClusterIP", "NodePort", "LoadBalancer"))),
                    f("ports", () -> objects(this::servicePort)), f("selector", this::stringMap),
                    f("sessionAffinity", () -> string(pick("None", "ClientIP"))),
                    f("sessionAffinityConfig", () -> object(List.of(clientIp))),
                    f("externalIPs", () -> strings(this::ip)),
                    f("externalTrafficPolicy", () -> string(pick("Cluster", "Local"))),
                    f("internalTrafficPolicy", () -> string(pick("Cluster", "Local"))),
                    f("ipFamilies", () -> strings(() -> pick("IPv4", "IPv6"))),
                    f("ipFamilyPolicy", () -> string(pick("SingleStack", "PreferDualStack"))),
                    f("loadBalancerIP", () -> string(ip())), f("healthCheckNodePort", () -> integer(30000, 32767)),
                    f("publishNotReadyAddresses", this::bool), f("trafficDistribution", () -> string("PreferClose")),
                    f("allocateLoadBalancerNodePorts", this::bool), f("externalName", () -> string("db.example.com")),
                    f("loadBalancerClass", () -> string("x/y")),
                    f("loadBalancerSourceRanges", () -> strings(() -> ip() + "/32"))));
        }

        private Node ingress() {
            Field ports = f("ports", () -> objects(() -> object(List.of(f("port", () -> integer(1, 65535)),
                    f("protocol", () -> string("TCP")), f("error", () -> string(name()))))));
            return object(List.of(f("ip", () -> string(ip())), f("hostname", () -> string(name())),
                    f("ipMode", () -> string("VIP")), ports));
        }

        private Node slice() {
            List<Map.Entry<String, Node>> fields = new ArrayList<>();
            fields.add(Map.entry("apiVersion", string(odd(20) ? "discovery.k8s.io/v1beta1" : "discovery.k8s.io/v1")));
            fields.add(Map.entry("kind", string(odd(20) ? "Service" : "EndpointSlice")));
            fields.add(Map.entry("metadata", meta()));
            fields.add(Map.entry("addressType", string(pick("IPv4", "IPv6", "FQDN"))));
            if (chance(90)) {
                fields.add(Map.entry("ports", objects(() -> object(List.of(f("name", () -> string(pick("http", "dns", ""))),
                        f("port", () -> integer(1, 65535)), f("protocol", () -> string(pick("TCP", "UDP"))),
                        f("appProtocol", () -> string("http")))))));
            }
            if (chance(90)) {
                fields.add(Map.entry("endpoints", objects(this::endpoint)));
            }
            return finish(fields);
        }

        private Node meta() {
            return object(List.of(f("name", () -> string(name())), f("namespace", () -> string(pick("default", "bench", "kube-system"))),
                    f("labels", this::stringMap), f("annotations", this::stringMap), f("uid", () -> string(uuid())),
                    f("resourceVersion", () -> string(String.valueOf(random.nextInt(100000)))),
                    f("generation", () -> integer(1, 1000)), f("creationTimestamp", () -> string("2026-11-30T05:00:00Z")),
                    f("generateName", () -> string("svc-")), f("finalizers", () -> strings(() -> "example.com/f")),
                    f("ownerReferences", () -> objects(() -> object(List.of(f("apiVersion", () -> string("v1")),
                            f("kind", () -> string("Service")), f("name", () -> string(name())),
                            f("uid", () -> string(uuid())), f("controller", this::bool),
                            f("blockOwnerDeletion", this::bool)))))));
        }

        private Node servicePort() {
            return object(List.of(f("name", () -> string(pick("http", "https", "dns"))), f("port", () -> integer(1, 65535)),
                    f("targetPort", () -> chance(50) ? integer(1, 65535) : string(pick("http", "web", "8080"))),
                    f("protocol", () -> string(pick("TCP", "UDP", "SCTP"))), f("nodePort", () -> integer(30000, 32767)),
                    f("appProtocol", () -> string("kubernetes.io/h2c"))));
        }

        private Node endpoint() {
            return object(List.of(f("addresses", () -> strings(this::ip)),
                    f("conditions", () -> object(List.of(f("ready", this::bool), f("serving", this::bool),
                            f("terminating", this::bool)))),
                    f("nodeName", () -> string(pick("node-1", "node-2"))), f("zone", () -> string(pick("a", "b"))),
                    f("hostname", () -> string(name())),
                    f("hints", () -> object(List.of(f("forZones", () -> objects(() -> object(List.of(f("name", () -> string("a")))))),
                            f("forNodes", () -> objects(() -> object(List.of(f("name", () -> string("node-1"))))))))),
                    f("targetRef", () -> object(List.of(f("kind", () -> string("Pod")), f("name", () -> string(name())),
                            f("namespace", () -> string("bench")), f("uid", () -> string(uuid())),
                            f("apiVersion", () -> string("v1")), f("resourceVersion", () -> string("12")),
                            f("fieldPath", () -> string("spec.containers{x}"))))),
                    f("deprecatedTopology", this::stringMap)));
        }

        // -- structure

        private record Field(String name, java.util.function.Supplier<Node> value) {
        }

        private static Field f(String name, java.util.function.Supplier<Node> value) {
            return new Field(name, value);
        }

        /** A mapping of a random subset of {@code fields}, in random order, with the wild changes. */
        private Node object(List<Field> fields) {
            List<Map.Entry<String, Node>> entries = new ArrayList<>();
            for (Field field : fields) {
                if (chance(field.name().equals("name") ? 95 : 40)) {
                    entries.add(Map.entry(field.name(), field.value().get()));
                }
            }
            return finish(entries);
        }

        private Node finish(List<Map.Entry<String, Node>> entries) {
            List<Map.Entry<String, Node>> all = new ArrayList<>(entries);
            if (odd(5)) {
                all.add(Map.entry(pick("color", "Name", "extra"), string("red")));
            }
            if (odd(5) && !all.isEmpty()) {
                all.add(all.get(random.nextInt(all.size())));
            }
            if (odd(4) && !all.isEmpty()) {
                int i = random.nextInt(all.size());
                all.set(i, Map.entry(all.get(i).getKey(), new Scalar(pick("null", "", "~"), 'p')));
            }
            Collections.shuffle(all, random);
            return new Mapping(all, chance(30));
        }

        private Node objects(java.util.function.Supplier<Node> element) {
            List<Node> items = new ArrayList<>();
            for (int i = random.nextInt(4); i > 0; i--) {
                items.add(element.get());
            }
            return new Sequence(items, chance(40));
        }

        private Node strings(java.util.function.Supplier<String> element) {
            List<Node> items = new ArrayList<>();
            for (int i = random.nextInt(4); i > 0; i--) {
                items.add(string(element.get()));
            }
            if (odd(5)) {
                items.add(new Scalar("null", 'p'));
            }
            return new Sequence(items, chance(50));
        }

        private Node stringMap() {
            List<Map.Entry<String, Node>> entries = new ArrayList<>();
            for (int i = random.nextInt(4); i > 0; i--) {
                entries.add(Map.entry(pick("app", "kubernetes.io/service-name", "tier", "k" + random.nextInt(3)),
                        string(name())));
            }
            if (!odd(20)) { // distinct keys
                Map<String, Node> distinct = new java.util.LinkedHashMap<>();
                entries.forEach(e -> distinct.put(e.getKey(), e.getValue()));
                entries = new ArrayList<>(distinct.entrySet());
            }
            return new Mapping(entries, chance(50));
        }

        // -- scalars

        /** A string field's value; wild ones may also be of another YAML type, or tagged. */
        private Node string(String value) {
            if (odd(8)) {
                value = pick("80", "true", "null", "", "1.5", "-3", "yes", "0", "007", "1e3", ".inf", "$x");
            }
            if (odd(2)) {
                return new Scalar("!!str " + value, 'p');
            }
            boolean plainTypesAsString = !value.isEmpty() && plainSafe(value)
                    && LibYamlParser.JsonTypesSchema.typeOf(value) == Tag.STR;
            if (plainTypesAsString && chance(60) || plainSafe(value) && odd(30)) {
                return new Scalar(value, 'p');
            }
            return new Scalar(value, random.nextBoolean() ? '\'' : '"');
        }

        private Node integer(int from, int to) {
            int value = from + random.nextInt(to - from + 1);
            if (odd(10)) {
                return random.nextBoolean() ? new Scalar(String.valueOf(value), pick('\'', '"'))
                        : new Scalar(pick("-1", "1.0", "99999999999", "0x10", "http", "true", "0"), 'p');
            }
            return new Scalar(String.valueOf(value), 'p');
        }

        private Node bool() {
            if (odd(10)) {
                return random.nextBoolean() ? new Scalar(pick("true", "false"), pick('\'', '"'))
                        : new Scalar(pick("yes", "True", "on", "1", "n"), 'p');
            }
            return new Scalar(random.nextBoolean() ? "true" : "false", 'p');
        }

        private String ip() {
            return "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256);
        }

        private String name() {
            return pick("svc", "web", "a-b", "x.y", "db-0", "Name With Space", "colon: inside", "ünïcode");
        }

        private String uuid() {
            return new java.util.UUID(random.nextLong(), random.nextLong()).toString();
        }

        /** A wild change, at this document's level of wildness (none for supported documents). */
        private boolean odd(int percent) {
            return wild && random.nextInt(400) < percent * level;
        }

        private boolean chance(int percent) {
            return random.nextInt(100) < percent;
        }

        @SafeVarargs
        private <T> T pick(T... values) {
            return values[random.nextInt(values.length)];
        }

        private static boolean plainSafe(String value) {
            if (value.isEmpty() || value.equals("-")) {
                return value.isEmpty();
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (!(Character.isLetterOrDigit(c) || c == '.' || c == '/' || c == '_' || c == '$'
                        || c == '-' && (i > 0 || value.length() > 1 && Character.isDigit(value.charAt(1))))) {
                    return false;
                }
            }
            return true;
        }

        // -- writing

        private static String scalar(Scalar s) {
            return switch (s.style()) {
                case '\'' -> "'" + s.text().replace("'", "''") + "'";
                case '"' -> '"' + s.text().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
                default -> s.text();
            };
        }

        private static String key(String key) {
            return plainSafe(key) && LibYamlParser.JsonTypesSchema.typeOf(key) == Tag.STR ? key : '"' + key + '"';
        }

        private static String flow(Node node) {
            return switch (node) {
                case Scalar s -> scalar(s);
                case Mapping m -> {
                    List<String> parts = new ArrayList<>();
                    m.entries().forEach(e -> parts.add(key(e.getKey()) + ": " + flow(e.getValue())));
                    yield "{" + String.join(", ", parts) + "}";
                }
                case Sequence q -> {
                    List<String> parts = new ArrayList<>();
                    q.items().forEach(i -> parts.add(flow(i)));
                    yield "[" + String.join(", ", parts) + "]";
                }
            };
        }

        private static boolean inline(Node node) {
            return node instanceof Scalar || node instanceof Mapping m && (m.flow() || m.entries().isEmpty())
                    || node instanceof Sequence q && (q.flow() || q.items().isEmpty());
        }

        /** The lines of a block collection, unindented. */
        private static List<String> block(Node node) {
            List<String> lines = new ArrayList<>();
            if (node instanceof Mapping m) {
                for (Map.Entry<String, Node> e : m.entries()) {
                    if (inline(e.getValue())) {
                        lines.add(key(e.getKey()) + ": " + flow(e.getValue()));
                    } else {
                        lines.add(key(e.getKey()) + ":");
                        block(e.getValue()).forEach(line -> lines.add("  " + line));
                    }
                }
            } else if (node instanceof Sequence q) {
                for (Node item : q.items()) {
                    if (inline(item)) {
                        lines.add("- " + flow(item));
                    } else {
                        List<String> inner = block(item);
                        for (int i = 0; i < inner.size(); i++) {
                            lines.add((i == 0 ? "- " : "  ") + inner.get(i));
                        }
                    }
                }
            }
            return lines;
        }
    }
}
