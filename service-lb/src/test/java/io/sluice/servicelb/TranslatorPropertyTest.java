package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Random, mostly malformed, Services and EndpointSlices: the translator never throws and explains every refusal. */
class TranslatorPropertyTest {

    /** The field paths a refusal may name: the Kubernetes API's own spelling. */
    private static final Pattern FIELD = Pattern.compile(
            "metadata\\.(name|namespace|labels\\[kubernetes\\.io/service-name]|annotations\\[sluice\\.io/lb-algorithm])"
                    + "|spec(\\.[a-zA-Z]+(\\[\\d+])?)*"
                    + "|status\\.loadBalancer\\.ingress\\[\\d+](\\.(ip|ipMode))?"
                    + "|addressType"
                    + "|ports\\[\\d+](\\.(port|protocol|name))?"
                    + "|endpoints\\[\\d+](\\.addresses(\\[0])?)?");

    private static final ServiceTranslator TRANSLATOR =
            new ServiceTranslator(new ServiceLbConfig(251, 4), Fixtures.node());

    private static <T> Arbitrary<T> maybeNull(Arbitrary<T> arbitrary) {
        return arbitrary.injectNull(0.1);
    }

    /**
     * Valid values twelve times in thirteen, else an invalid value or null: with a few dozen fields per object,
     * most objects still carry some fault, and enough get far enough to be programmed.
     */
    private static <T> Arbitrary<T> mostly(Arbitrary<T> valid, Arbitrary<T> invalid) {
        return Arbitraries.frequencyOf(Tuple.of(12, valid), Tuple.of(1, invalid.injectNull(0.3)));
    }

    @SafeVarargs
    private static <T> Arbitrary<T> of(T... values) {
        List<T> choices = new ArrayList<>(values.length);
        for (T value : values) {
            choices.add(value);
        }
        return Arbitraries.of(choices);
    }

    private static Arbitrary<String> ip() {
        return mostly(of("10.96.0.1", "10.96.0.2", "fd00::1", "fd00::2", "203.0.113.7"),
                of("None", "300.1.1.1", "", "abc", "::ffff:1.2.3.4", "10.1", " 10.96.0.3"));
    }

    private static Arbitrary<ServicePort> servicePort() {
        return Combinators.combine(
                mostly(of("http", "http", "dns"), of("HTTP", "-x", "a_b")),
                mostly(of(53, 80, 443, 65535), of(-1, 0, 65536)),
                mostly(of("TCP", "TCP", "UDP"), of("SCTP", "tcp", "ICMP", "")),
                mostly(of((Object) 8080, "web", 53), of((Object) 0, 70000, "Bad_Name", "toolongportname123")),
                mostly(of(0, 30080, 30053), of(70000, -5))
        ).as((name, port, protocol, target, nodePort) -> {
            ServicePort p = new ServicePort();
            p.setName(name);
            p.setPort(port);
            p.setProtocol(protocol);
            p.setTargetPort(target == null ? null : new IntOrString(target));
            p.setNodePort(nodePort);
            return p;
        });
    }

    @Provide
    Arbitrary<Service> services() {
        Arbitrary<ObjectMeta> meta = Combinators.combine(
                mostly(of("default"), of("")),
                mostly(of("web"), of("")),
                mostly(of("random", "maglev").injectNull(0.5), of("Maglev", "rr")),
                mostly(of("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"), of("yesterday"))
        ).as((namespace, name, algorithm, created) -> {
            ObjectMeta m = new ObjectMeta();
            m.setNamespace(namespace);
            m.setName(name);
            m.setAnnotations(algorithm == null ? null : Map.of(LbAlgorithm.ANNOTATION, algorithm));
            m.setCreationTimestamp(created);
            return m;
        });
        Arbitrary<ServiceSpec> spec = Combinators.combine(
                mostly(of("ClusterIP", "NodePort", "LoadBalancer"), of("ExternalName", "Bogus", "")),
                mostly(ip().list().ofMinSize(1).ofMaxSize(2), ip().list().ofMaxSize(3)),
                mostly(servicePort().list().ofMinSize(1).ofMaxSize(4), servicePort().injectNull(0.2).list().ofMaxSize(2)),
                ip().list().ofMaxSize(3),
                mostly(of("None", "ClientIP"), of("Sticky")),
                mostly(of(60, 10800), of(0, 86401)),
                mostly(of("Cluster", "Local"), of("Wrong")),
                mostly(of("Cluster", "Local"), of("Wrong"))
        ).as((type, clusterIps, ports, externalIps, affinity, timeout, etp, itp) -> {
            ServiceSpec s = new ServiceSpec();
            s.setType(type);
            s.setClusterIPs(clusterIps);
            s.setClusterIP(clusterIps == null || clusterIps.isEmpty() ? null : clusterIps.getFirst());
            s.setPorts(ports);
            s.setExternalIPs(externalIps);
            s.setSessionAffinity(affinity);
            s.setSessionAffinityConfig(timeout == null ? null
                    : new SessionAffinityConfig(new ClientIPConfig(timeout)));
            s.setExternalTrafficPolicy(etp);
            s.setInternalTrafficPolicy(itp);
            return s;
        });
        Arbitrary<LoadBalancerIngress> ingress = Combinators.combine(ip(),
                        mostly(of("VIP", "Proxy"), of("Tunnel")))
                .as((address, mode) -> new LoadBalancerIngress(null, address, mode, null));
        Arbitrary<ServiceStatus> status = maybeNull(maybeNull(ingress).list().ofMaxSize(2)
                .map(list -> new ServiceStatus(null, new LoadBalancerStatus(list))));
        return Combinators.combine(mostly(meta, meta.map(m -> null)), mostly(spec, spec.map(x -> null)), status)
                .as((m, s, st) -> {
                    Service service = new Service();
                    service.setMetadata(m);
                    service.setSpec(s);
                    service.setStatus(st);
                    return service;
                });
    }

    @Provide
    Arbitrary<List<EndpointSlice>> slices() {
        return slice().list().ofMinSize(1).ofMaxSize(3);
    }

    /** Slices as a store holds them: one per namespace and name (the translator reads them in name order). */
    @Provide
    Arbitrary<List<EndpointSlice>> distinctSlices() {
        return slice().list().ofMinSize(1).ofMaxSize(3).uniqueElements(s -> s.getMetadata().getName());
    }

    private Arbitrary<EndpointSlice> slice() {
        Arbitrary<EndpointPort> port = Combinators.combine(
                mostly(of("http", "http", "dns"), of("other", "")),
                mostly(of(8080, 5353), of(0, 70000)),
                mostly(of("TCP", "TCP", "UDP"), of("SCTP", "QUIC"))
        ).as((name, number, protocol) -> new EndpointPort(null, name, number, protocol));
        Arbitrary<Endpoint> endpoint = Combinators.combine(
                mostly(of("10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "fd00:1::1", "fd00:1::2")
                        .list().ofMinSize(1).ofMaxSize(2), of("bad", "10.1.0.256").list().ofMaxSize(2)),
                maybeNull(of(Fixtures.THIS_NODE, Fixtures.OTHER_NODE)),
                maybeNull(of(true, false)),
                maybeNull(of(true, false)),
                maybeNull(of(true, false))
        ).as((addresses, node, ready, serving, terminating) -> {
            Endpoint e = new Endpoint();
            e.setAddresses(addresses);
            e.setNodeName(node);
            e.setConditions(new EndpointConditions(ready, serving, terminating));
            return e;
        });
        return Combinators.combine(
                mostly(of("web-1", "web-2", "web-3"), of("")),
                mostly(of("web"), of("other")),
                mostly(of("IPv4", "IPv6"), of("FQDN", "IPv5")),
                mostly(port.list().ofMinSize(1).ofMaxSize(3), port.injectNull(0.3).list().ofMaxSize(2)),
                mostly(endpoint.list().ofMinSize(1).ofMaxSize(6), endpoint.injectNull(0.3).list().ofMaxSize(3))
        ).as((name, service, addressType, ports, endpoints) -> {
            EndpointSlice s = new EndpointSlice();
            ObjectMeta m = new ObjectMeta();
            m.setNamespace("default");
            m.setName(name);
            m.setLabels(service == null ? null : Map.of(EndpointSliceReader.SERVICE_NAME_LABEL, service));
            s.setMetadata(m);
            s.setAddressType(addressType);
            s.setPorts(ports);
            s.setEndpoints(endpoints);
            return s;
        });
    }

    /** Edge cases off: jqwik's edge cases are mostly nulls here and would starve the valid paths. */
    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void neverThrowsAndEveryRefusalNamesObjectAndField(@ForAll("services") Service service,
                                                       @ForAll("distinctSlices") List<EndpointSlice> slices) {
        TranslationResult result = TRANSLATOR.translate(service, slices);

        for (Refusal refusal : result.refusals()) {
            assertThat(refusal.object().kind()).isIn(ObjectRef.SERVICE, ObjectRef.ENDPOINT_SLICE);
            assertThat(refusal.field()).matches(FIELD);
            assertThat(refusal.message()).isNotBlank();
        }
        for (DesiredService desired : result.services().values()) {
            assertThat(desired.frontends()).isNotEmpty();
            for (DesiredFrontend frontend : desired.frontends()) {
                assertWellFormed(frontend);
            }
        }
        boolean forwards = result.services().values().stream()
                .flatMap(d -> d.frontends().stream()).anyMatch(f -> f.verdict() == FrontendVerdict.FORWARD);
        Statistics.label("programmed").collect(!result.services().isEmpty());
        Statistics.label("forwarding").collect(forwards);
        Statistics.label("refused").collect(!result.refusals().isEmpty());
        // The generator must reach every outcome, or the checks above would hold vacuously.
        Statistics.label("programmed").coverage(c -> c.check(true).percentage(p -> p > 25));
        Statistics.label("forwarding").coverage(c -> c.check(true).percentage(p -> p > 4));
        Statistics.label("refused").coverage(c -> c.check(true).percentage(p -> p > 50));
    }

    /** The writer's per-Service call gives what {@link ServiceTranslator#translate} gives, refusals added in order. */
    @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
    void desiredServiceGivesWhatTranslateGives(@ForAll("services") Service service,
                                                @ForAll("distinctSlices") List<EndpointSlice> slices) {
        TranslationResult result = TRANSLATOR.translate(service, slices);
        Refusal earlier = new Refusal(new ObjectRef(ObjectRef.SERVICE, "default", "earlier"), "spec",
                RefusalReason.INVALID_OBJECT, "already in the list");
        List<Refusal> refusals = new ArrayList<>(List.of(earlier));

        DesiredService desired = TRANSLATOR.desiredService(service, slices, refusals);

        assertThat(desired == null ? Map.of() : Map.of(desired.key(), desired)).isEqualTo(result.services());
        assertThat(refusals.getFirst()).isSameAs(earlier);
        assertThat(refusals.subList(1, refusals.size())).isEqualTo(result.refusals());
    }

    @Property(tries = 300)
    void slicesMayComeInAnyOrder(@ForAll("services") Service service, @ForAll("distinctSlices") List<EndpointSlice> slices) {
        TranslationResult forward = TRANSLATOR.translate(service, slices);
        TranslationResult backward = TRANSLATOR.translate(service, slices.reversed());

        assertThat(backward.services()).isEqualTo(forward.services());
        assertThat(backward.refusals()).containsExactlyInAnyOrderElementsOf(forward.refusals());
    }

    @Property(tries = 300)
    void aServiceSetNeverGivesOneAddressTwice(@ForAll("services") Service a, @ForAll("services") Service b,
                                              @ForAll("distinctSlices") List<EndpointSlice> slices) {
        if (b.getMetadata() != null) {
            b.getMetadata().setName("other");
        }
        TranslationResult result = TRANSLATOR.translateAll(List.of(a, b), slices);

        Set<FrontendAddress> seen = new HashSet<>();
        for (DesiredService desired : result.services().values()) {
            for (DesiredFrontend frontend : desired.frontends()) {
                assertThat(seen.add(frontend.address())).as(frontend.address().toString()).isTrue();
                assertWellFormed(frontend);
            }
        }
        assertThat(result.refusals()).allSatisfy(r -> assertThat(r.field()).matches(FIELD));
    }

    @Property(tries = 200)
    void aValidServiceWithReadyEndpointsIsProgrammedWhole(
            @ForAll("validPorts") List<Integer> portNumbers,
            @ForAll("endpointOctets") List<Integer> octets) {
        List<ServicePort> ports = new ArrayList<>();
        List<EndpointPort> slicePorts = new ArrayList<>();
        for (int i = 0; i < portNumbers.size(); i++) {
            String protocol = i % 2 == 0 ? "TCP" : "UDP";
            ports.add(Fixtures.port("p" + i, portNumbers.get(i), protocol, "t" + i, 30000 + i));
            slicePorts.add(Fixtures.slicePort("p" + i, 10000 + i, protocol));
        }
        Endpoint[] endpoints = octets.stream()
                .map(o -> Fixtures.ready("10.1.0." + o, o % 3 == 0 ? Fixtures.THIS_NODE : Fixtures.OTHER_NODE))
                .toArray(Endpoint[]::new);
        Service svc = Fixtures.service("web", List.of("10.96.0.10"), ports.toArray(ServicePort[]::new))
                .editSpec().withType("NodePort").endSpec().build();

        TranslationResult result = Fixtures.translator()
                .translate(svc, List.of(Fixtures.slice("web-1", "web", "IPv4", slicePorts, endpoints)));

        assertThat(result.refusals()).isEmpty();
        DesiredService desired = result.services().get(Fixtures.key("web"));
        // One cluster IP and two node addresses per port.
        assertThat(desired.frontends()).hasSize(3 * portNumbers.size());
        Map<String, Integer> backendPortByName = new HashMap<>();
        for (int i = 0; i < portNumbers.size(); i++) {
            backendPortByName.put("p" + i, 10000 + i);
        }
        for (DesiredFrontend frontend : desired.frontends()) {
            int expectedPort = backendPortByName.get(frontend.frontend().servicePort().portName());
            assertThat(frontend.backends()).extracting(b -> b.address().toString() + ":" + b.port())
                    .containsExactlyElementsOf(octets.stream().sorted().map(o -> "10.1.0." + o + ":" + expectedPort).toList());
            assertThat(frontend.backends()).allMatch(b -> b.local() == (b.address().ipv4Bits() % 256 % 3 == 0));
        }
    }

    @Provide
    Arbitrary<List<Integer>> validPorts() {
        return Arbitraries.integers().between(1, 65535).list().uniqueElements().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<Integer>> endpointOctets() {
        return Arbitraries.integers().between(1, 254).list().uniqueElements().ofMaxSize(30);
    }

    private static void assertWellFormed(DesiredFrontend frontend) {
        ServiceFrontend fe = frontend.frontend();
        assertThat(fe.address().protocol().supportedByDataPath()).isTrue();
        assertThat(fe.address().port()).isBetween(1, 65535);
        assertThat(frontend.backends()).hasSizeLessThanOrEqualTo(TRANSLATOR.config().maxBackendsPerService());
        assertThat(frontend.backends()).isSorted();
        assertThat(frontend.backends()).allSatisfy(b -> {
            assertThat(b.family()).isEqualTo(fe.family());
            assertThat(b.protocol()).isEqualTo(fe.address().protocol());
        });
        assertThat(frontend.verdict() == FrontendVerdict.FORWARD).isEqualTo(!frontend.backends().isEmpty());
        assertThat(frontend.maglev() != null)
                .isEqualTo(fe.algorithm() == LbAlgorithm.MAGLEV && !frontend.backends().isEmpty());
        if (fe.scope() == TrafficScope.EXTERNAL) {
            assertThat(fe.has(FrontendFlag.PRESERVE_CLIENT_IP)).isNotEqualTo(fe.has(FrontendFlag.SNAT_REMOTE_BACKENDS));
        }
    }
}
