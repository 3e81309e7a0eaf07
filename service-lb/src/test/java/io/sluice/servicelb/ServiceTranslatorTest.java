package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static io.sluice.servicelb.Fixtures.NS;
import static io.sluice.servicelb.Fixtures.OTHER_NODE;
import static io.sluice.servicelb.Fixtures.THIS_NODE;
import static io.sluice.servicelb.Fixtures.clusterIpService;
import static io.sluice.servicelb.Fixtures.endpoint;
import static io.sluice.servicelb.Fixtures.key;
import static io.sluice.servicelb.Fixtures.port;
import static io.sluice.servicelb.Fixtures.ready;
import static io.sluice.servicelb.Fixtures.service;
import static io.sluice.servicelb.Fixtures.slice;
import static io.sluice.servicelb.Fixtures.slicePort;
import static io.sluice.servicelb.Fixtures.translator;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class ServiceTranslatorTest {

    private static final List<EndpointPort> HTTP_8080 =
            List.of(slicePort("http", 8080, "TCP"));

    private static TranslationResult translate(Service service, EndpointSlice... slices) {
        return translator().translate(service, List.of(slices));
    }

    private static DesiredService only(TranslationResult result) {
        assertThat(result.services()).hasSize(1);
        return result.services().values().iterator().next();
    }

    private static DesiredFrontend frontend(DesiredService service, String address) {
        return service.frontends().stream().filter(f -> f.address().toString().equals(address)).findFirst()
                .orElseThrow(() -> new AssertionError(address + " not among " + addresses(service)));
    }

    private static List<String> addresses(DesiredService service) {
        return service.frontends().stream().map(f -> f.address().toString()).toList();
    }

    private static List<String> backends(DesiredFrontend frontend) {
        return frontend.backends().stream().map(b -> Ports.hostPort(b.address(), b.port())).toList();
    }

    private static Refusal onlyRefusal(TranslationResult result) {
        assertThat(result.refusals()).hasSize(1);
        return result.refusals().getFirst();
    }

    @Nested
    class Frontends {

        @Test
        void everyClusterIpOfADualStackServiceGetsAFrontendPerPortAndFamilyOwnBackends() {
            Service svc = service("web", List.of("10.96.0.10", "fd00:96::10"),
                    port("http", 80, "TCP"), port("dns", 53, "UDP")).build();
            List<EndpointPort> ports =
                    List.of(slicePort("http", 8080, "TCP"), slicePort("dns", 5353, "UDP"));

            DesiredService result = only(translate(svc,
                    slice("web-v4", "web", "IPv4", ports, ready("10.1.0.5", OTHER_NODE)),
                    slice("web-v6", "web", "IPv6", ports, ready("fd00:1::5", OTHER_NODE))));

            assertThat(addresses(result)).containsExactly(
                    "10.96.0.10:53/UDP", "10.96.0.10:80/TCP", "[fd00:96::10]:53/UDP", "[fd00:96::10]:80/TCP");
            assertThat(backends(frontend(result, "10.96.0.10:80/TCP"))).containsExactly("10.1.0.5:8080");
            assertThat(backends(frontend(result, "10.96.0.10:53/UDP"))).containsExactly("10.1.0.5:5353");
            assertThat(backends(frontend(result, "[fd00:96::10]:80/TCP"))).containsExactly("[fd00:1::5]:8080");
            DesiredFrontend v6 = frontend(result, "[fd00:96::10]:53/UDP");
            assertThat(v6.frontend().family()).isEqualTo(IpFamily.IPV6);
            assertThat(v6.backends()).allMatch(b -> b.family() == IpFamily.IPV6 && b.protocol() == L4Protocol.UDP);
            assertThat(v6.frontend().kind()).isEqualTo(FrontendKind.CLUSTER_IP);
            assertThat(v6.frontend().scope()).isEqualTo(TrafficScope.INTERNAL);
            assertThat(v6.frontend().servicePort()).isEqualTo(new ServicePortName(key("web"), "dns"));
        }

        @Test
        void nodePortListensOnTheNodeAddressesTheConfigAllowsForEachFamilyOfTheService() {
            NodeContext node = NodeContext.parse(THIS_NODE,
                    List.of("192.168.1.10", "10.0.0.10", "fd00:1::10"), List.of("192.168.0.0/16"));
            Service svc = service("web", List.of("10.96.0.10", "fd00:96::10"),
                    port("http", 80, "TCP", 8080, 30080)).editSpec().withType("NodePort").endSpec().build();

            DesiredService result = only(Fixtures.translator(node).translate(svc, List.of()));

            assertThat(addresses(result)).containsExactly("10.96.0.10:80/TCP", "192.168.1.10:30080/TCP",
                    "[fd00:1::10]:30080/TCP", "[fd00:96::10]:80/TCP");
            DesiredFrontend nodePort = frontend(result, "192.168.1.10:30080/TCP");
            assertThat(nodePort.frontend().kind()).isEqualTo(FrontendKind.NODE_PORT);
            assertThat(nodePort.frontend().scope()).isEqualTo(TrafficScope.EXTERNAL);
        }

        @Test
        void aSingleStackServiceGetsNoNodePortOnTheOtherFamily() {
            Service svc = service("web", List.of("10.96.0.10"), port("http", 80, "TCP", 8080, 30080))
                    .editSpec().withType("NodePort").endSpec().build();

            DesiredService result = only(translate(svc));

            assertThat(addresses(result)).containsExactly(
                    "10.96.0.10:80/TCP", "192.168.1.10:30080/TCP", "192.168.2.10:30080/TCP");
        }

        @Test
        void externalIpsAndVipModeLoadBalancerIngressesBecomeExternalFrontendsOfTheirFamily() {
            Service svc = service("web", List.of("10.96.0.10", "fd00:96::10"), port("http", 80, "TCP"))
                    .editSpec().withType("LoadBalancer").withExternalIPs("203.0.113.7", "2001:db8::7").endSpec()
                    .withNewStatus().withNewLoadBalancer().withIngress(
                            new LoadBalancerIngress(null, "198.51.100.1", null, null),
                            new LoadBalancerIngress(null, "198.51.100.2", "VIP", null),
                            new LoadBalancerIngress(null, "198.51.100.3", "Proxy", null),
                            new LoadBalancerIngress("lb.example.com", null, null, null))
                    .endLoadBalancer().endStatus().build();

            DesiredService result = only(translate(svc, slice("web-1", "web", "IPv4", HTTP_8080,
                    ready("10.1.0.5", OTHER_NODE))));

            assertThat(addresses(result)).containsExactly("10.96.0.10:80/TCP", "198.51.100.1:80/TCP",
                    "198.51.100.2:80/TCP", "203.0.113.7:80/TCP", "[2001:db8::7]:80/TCP", "[fd00:96::10]:80/TCP");
            assertThat(frontend(result, "203.0.113.7:80/TCP").frontend().kind()).isEqualTo(FrontendKind.EXTERNAL_IP);
            assertThat(frontend(result, "198.51.100.1:80/TCP").frontend().kind())
                    .isEqualTo(FrontendKind.LOAD_BALANCER);
            assertThat(backends(frontend(result, "198.51.100.2:80/TCP"))).containsExactly("10.1.0.5:8080");
            assertThat(frontend(result, "[2001:db8::7]:80/TCP").verdict()).isEqualTo(FrontendVerdict.REJECT);
        }

        @Test
        void sctpIsRefusedByNameWhileTheOtherPortsGoThrough() {
            Service svc = clusterIpService("sig", "10.96.0.20",
                    port("tcp", 3868, "TCP"), port("sctp", 3868, "SCTP"), port("udp", 3868, "UDP"));

            TranslationResult result = translate(svc);

            assertThat(addresses(only(result))).containsExactly("10.96.0.20:3868/TCP", "10.96.0.20:3868/UDP");
            Refusal refusal = onlyRefusal(result);
            assertThat(refusal.object()).isEqualTo(new ObjectRef(ObjectRef.SERVICE, NS, "sig"));
            assertThat(refusal.field()).isEqualTo("spec.ports[1].protocol");
            assertThat(refusal.reason()).isEqualTo(RefusalReason.UNSUPPORTED_PROTOCOL);
            assertThat(refusal.message()).contains("SCTP");
            assertThat(L4Protocol.SCTP.supportedByDataPath()).isFalse();
        }

        @Test
        void headlessAndExternalNameServicesProduceNothing() {
            Service headless = service("db", List.of("None"), port("pg", 5432, "TCP")).build();
            Service external = service("ext", List.of(), port("https", 443, "TCP"))
                    .editSpec().withType("ExternalName").withExternalName("example.com").endSpec().build();
            EndpointSlice slice = slice("db-1", "db", "IPv4", List.of(slicePort("pg", 5432, "TCP")),
                    ready("10.1.0.9", THIS_NODE));

            TranslationResult result = translator().translateAll(List.of(headless, external), List.of(slice));

            assertThat(result.services()).isEmpty();
            assertThat(result.refusals()).isEmpty();
        }
    }

    @Nested
    class Backends {

        @Test
        void aNamedTargetPortResolvesToEachSlicesOwnPortNumber() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP", "web", null));

            DesiredService result = only(translate(svc,
                    slice("web-a", "web", "IPv4", List.of(slicePort("http", 8080, "TCP")), ready("10.1.0.5", OTHER_NODE)),
                    slice("web-b", "web", "IPv4", List.of(slicePort("http", 9090, "TCP")), ready("10.1.0.6", OTHER_NODE))));

            assertThat(backends(frontend(result, "10.96.0.10:80/TCP"))).containsExactly("10.1.0.5:8080", "10.1.0.6:9090");
        }

        @Test
        void aNumericTargetPortIsTheSlicePortAndPortsMatchByNameAndProtocol() {
            Service svc = clusterIpService("dns", "10.96.0.10",
                    port("dns", 53, "UDP", 5353, null), port("dns-tcp", 53, "TCP", 5353, null));

            DesiredService result = only(translate(svc, slice("dns-1", "dns", "IPv4",
                    List.of(slicePort("dns", 5353, "UDP"), slicePort("dns-tcp", 5353, "TCP"), slicePort("metrics", 9153, "TCP")),
                    ready("10.1.0.5", OTHER_NODE))));

            assertThat(backends(frontend(result, "10.96.0.10:53/UDP"))).containsExactly("10.1.0.5:5353");
            assertThat(backends(frontend(result, "10.96.0.10:53/TCP"))).containsExactly("10.1.0.5:5353");
            assertThat(frontend(result, "10.96.0.10:53/UDP").backends()).allMatch(b -> b.protocol() == L4Protocol.UDP);
        }

        @Test
        void anUnnamedPortMatchesTheUnnamedSlicePort() {
            Service svc = clusterIpService("one", "10.96.0.11", port(null, 80, null));

            DesiredService result = only(translate(svc, slice("one-1", "one", "IPv4",
                    List.of(slicePort("", 8080, "TCP")), ready("10.1.0.5", OTHER_NODE))));

            assertThat(backends(frontend(result, "10.96.0.11:80/TCP"))).containsExactly("10.1.0.5:8080");
            assertThat(result.frontends().getFirst().frontend().servicePort().portName()).isEmpty();
        }

        @Test
        void readyEndpointsAreUsedAndOthersLeftOut() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));

            DesiredFrontend fe = only(translate(svc, slice("web-1", "web", "IPv4", HTTP_8080,
                    ready("10.1.0.5", OTHER_NODE),
                    endpoint("10.1.0.6", OTHER_NODE, false, false, false),
                    endpoint("10.1.0.7", OTHER_NODE, false, true, true),
                    endpoint("10.1.0.8", null, null, null, null)))).frontends().getFirst();

            assertThat(backends(fe)).containsExactly("10.1.0.5:8080", "10.1.0.8:8080");
            assertThat(fe.verdict()).isEqualTo(FrontendVerdict.FORWARD);
        }

        @Test
        void withoutReadyEndpointsServingTerminatingOnesAreUsed() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));

            DesiredFrontend fe = only(translate(svc, slice("web-1", "web", "IPv4", HTTP_8080,
                    endpoint("10.1.0.6", OTHER_NODE, false, false, false),
                    endpoint("10.1.0.7", OTHER_NODE, false, true, true),
                    endpoint("10.1.0.9", OTHER_NODE, false, false, true)))).frontends().getFirst();

            assertThat(backends(fe)).containsExactly("10.1.0.7:8080");
            assertThat(fe.backends().getFirst().terminating()).isTrue();
        }

        @Test
        void withoutEndpointsTheFrontendStaysWithNoBackendsAndRejects() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));

            DesiredFrontend none = only(translate(svc)).frontends().getFirst();
            DesiredFrontend notReady = only(translate(svc, slice("web-1", "web", "IPv4", HTTP_8080,
                    endpoint("10.1.0.6", OTHER_NODE, false, false, false)))).frontends().getFirst();

            for (DesiredFrontend fe : List.of(none, notReady)) {
                assertThat(fe.address().toString()).isEqualTo("10.96.0.10:80/TCP");
                assertThat(fe.backends()).isEmpty();
                assertThat(fe.verdict()).isEqualTo(FrontendVerdict.REJECT);
            }
        }

        @Test
        void anEndpointInTwoSlicesCountsOnceAndTheLocalCopyWins() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));

            DesiredFrontend fe = only(translate(svc,
                    slice("web-a", "web", "IPv4", HTTP_8080, ready("10.1.0.5", OTHER_NODE)),
                    slice("web-b", "web", "IPv4", HTTP_8080, ready("10.1.0.5", THIS_NODE)))).frontends().getFirst();

            assertThat(fe.backends()).hasSize(1);
            assertThat(fe.backends().getFirst().local()).isTrue();
            assertThat(fe.backends().getFirst().nodeName()).isEqualTo(THIS_NODE);
        }

        @Test
        void backendsCarryNodeZoneAndLocality() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));
            Endpoint zoned = ready("10.1.0.5", THIS_NODE);
            zoned.setZone("zone-a");

            ServiceBackend backend = only(translate(svc, slice("web-1", "web", "IPv4", HTTP_8080, zoned)))
                    .frontends().getFirst().backends().getFirst();

            assertThat(backend).isEqualTo(new ServiceBackend(IpAddress.parse("10.1.0.5"), 8080, L4Protocol.TCP,
                    THIS_NODE, "zone-a", true, false));
        }

        @Test
        void fqdnSlicesAreIgnored() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));

            TranslationResult result = translate(svc, slice("web-1", "web", "FQDN", HTTP_8080, ready("a.example", OTHER_NODE)));

            assertThat(only(result).frontends().getFirst().backends()).isEmpty();
            assertThat(result.refusals()).isEmpty();
        }
    }

    @Nested
    class Policies {

        private final EndpointSlice slice = slice("web-1", "web", "IPv4", HTTP_8080,
                ready("10.1.0.5", THIS_NODE), ready("10.1.0.6", OTHER_NODE));

        private Service nodePortService(String externalPolicy, String internalPolicy) {
            return service("web", List.of("10.96.0.10"), port("http", 80, "TCP", 8080, 30080))
                    .editSpec().withType("NodePort").withExternalIPs("203.0.113.7")
                    .withExternalTrafficPolicy(externalPolicy).withInternalTrafficPolicy(internalPolicy)
                    .endSpec().build();
        }

        @Test
        void externalLocalGivesExternalFrontendsOnlyLocalBackendsAndPreservesTheClientIp() {
            DesiredService result = only(translate(nodePortService("Local", null), slice));

            for (String external : List.of("192.168.1.10:30080/TCP", "203.0.113.7:80/TCP")) {
                DesiredFrontend fe = frontend(result, external);
                assertThat(backends(fe)).containsExactly("10.1.0.5:8080");
                assertThat(fe.frontend().flags())
                        .containsExactlyInAnyOrder(FrontendFlag.LOCAL_ONLY, FrontendFlag.PRESERVE_CLIENT_IP);
            }
            DesiredFrontend clusterIp = frontend(result, "10.96.0.10:80/TCP");
            assertThat(backends(clusterIp)).containsExactly("10.1.0.5:8080", "10.1.0.6:8080");
            assertThat(clusterIp.frontend().flags()).isEmpty();
        }

        @Test
        void externalLocalWithoutLocalEndpointsDropsWhileTheClusterIpStillForwards() {
            EndpointSlice remoteOnly = slice("web-1", "web", "IPv4", HTTP_8080, ready("10.1.0.6", OTHER_NODE));

            DesiredService result = only(translate(nodePortService("Local", null), remoteOnly));

            DesiredFrontend nodePort = frontend(result, "192.168.1.10:30080/TCP");
            assertThat(nodePort.backends()).isEmpty();
            assertThat(nodePort.verdict()).isEqualTo(FrontendVerdict.DROP);
            assertThat(frontend(result, "10.96.0.10:80/TCP").verdict()).isEqualTo(FrontendVerdict.FORWARD);
        }

        @Test
        void externalLocalWithoutAnyEndpointRejects() {
            DesiredService result = only(translate(nodePortService("Local", null)));

            assertThat(result.frontends()).allMatch(f -> f.verdict() == FrontendVerdict.REJECT && f.backends().isEmpty());
        }

        @Test
        void externalClusterUsesEveryEndpointAndAsksForSnatToRemoteBackends() {
            DesiredService result = only(translate(nodePortService("Cluster", null), slice));

            DesiredFrontend nodePort = frontend(result, "192.168.2.10:30080/TCP");
            assertThat(backends(nodePort)).containsExactly("10.1.0.5:8080", "10.1.0.6:8080");
            assertThat(nodePort.frontend().flags()).containsExactly(FrontendFlag.SNAT_REMOTE_BACKENDS);
            assertThat(nodePort.backends()).extracting(ServiceBackend::local).containsExactly(true, false);
            assertThat(frontend(result, "10.96.0.10:80/TCP").frontend().flags()).isEmpty();
        }

        @Test
        void internalLocalGivesTheClusterIpOnlyLocalBackends() {
            DesiredService result = only(translate(nodePortService(null, "Local"), slice));

            DesiredFrontend clusterIp = frontend(result, "10.96.0.10:80/TCP");
            assertThat(backends(clusterIp)).containsExactly("10.1.0.5:8080");
            assertThat(clusterIp.frontend().flags()).containsExactly(FrontendFlag.LOCAL_ONLY);
            assertThat(backends(frontend(result, "192.168.1.10:30080/TCP"))).hasSize(2);
        }

        @Test
        void localityIsTheEndpointsNodeNameEqualToThisNode() {
            NodeContext otherNode = NodeContext.parse(OTHER_NODE, List.of("192.168.1.11"), List.of());

            DesiredService result = only(Fixtures.translator(otherNode)
                    .translate(nodePortService("Local", "Local"), List.of(slice)));

            assertThat(result.frontends()).allSatisfy(f -> assertThat(backends(f)).containsExactly("10.1.0.6:8080"));
        }

        @Test
        void clientIpAffinityDefaultsToThreeHours() {
            Service svc = service("web", List.of("10.96.0.10"), port("http", 80, "TCP"))
                    .editSpec().withSessionAffinity("ClientIP").endSpec().build();

            ServiceFrontend fe = only(translate(svc)).frontends().getFirst().frontend();

            assertThat(fe.affinity()).isEqualTo(SessionAffinity.clientIp(10_800));
        }

        @Test
        void clientIpAffinityTakesTheConfiguredTimeout() {
            Service svc = service("web", List.of("10.96.0.10"), port("http", 80, "TCP"))
                    .editSpec().withSessionAffinity("ClientIP").withNewSessionAffinityConfig().withNewClientIP()
                    .withTimeoutSeconds(600).endClientIP().endSessionAffinityConfig().endSpec().build();
            Service none = clusterIpService("plain", "10.96.0.11", port("http", 80, "TCP"));

            assertThat(only(translate(svc)).frontends().getFirst().frontend().affinity())
                    .isEqualTo(new SessionAffinity(true, 600));
            assertThat(only(translate(none)).frontends().getFirst().frontend().affinity())
                    .isEqualTo(SessionAffinity.NONE);
        }

        @Test
        void anAffinityTimeoutOutOfRangeIsRefused() {
            Service svc = service("web", List.of("10.96.0.10"), port("http", 80, "TCP"))
                    .editSpec().withSessionAffinity("ClientIP").withNewSessionAffinityConfig().withNewClientIP()
                    .withTimeoutSeconds(86_401).endClientIP().endSessionAffinityConfig().endSpec().build();

            TranslationResult result = translate(svc);

            assertThat(result.services()).isEmpty();
            assertThat(onlyRefusal(result).field()).isEqualTo("spec.sessionAffinityConfig.clientIP.timeoutSeconds");
            assertThat(onlyRefusal(result).reason()).isEqualTo(RefusalReason.INVALID_SESSION_AFFINITY);
        }

        @Test
        void anUnknownTrafficPolicyIsRefusedNamingTheField() {
            TranslationResult result = translate(nodePortService("Nearby", null), slice);

            assertThat(result.services()).isEmpty();
            assertThat(onlyRefusal(result).field()).isEqualTo("spec.externalTrafficPolicy");
            assertThat(onlyRefusal(result).reason()).isEqualTo(RefusalReason.INVALID_TRAFFIC_POLICY);
        }
    }

    @Nested
    class Algorithms {

        private Service annotated(String value) {
            return service("web", List.of("10.96.0.10"), port("http", 80, "TCP", 8080, 30080))
                    .editMetadata().withAnnotations(Map.of(LbAlgorithm.ANNOTATION, value)).endMetadata()
                    .editSpec().withType("NodePort").endSpec().build();
        }

        private final EndpointSlice slice = slice("web-1", "web", "IPv4", HTTP_8080,
                ready("10.1.0.7", OTHER_NODE), ready("10.1.0.5", THIS_NODE), ready("10.1.0.6", OTHER_NODE));

        @Test
        void randomIsTheDefaultAndNeedsNoTable() {
            DesiredService result = only(translate(clusterIpService("web", "10.96.0.10", port("http", 80, "TCP")), slice));

            assertThat(result.frontends()).allSatisfy(f -> {
                assertThat(f.frontend().algorithm()).isEqualTo(LbAlgorithm.RANDOM);
                assertThat(f.maglev()).isNull();
            });
        }

        @Test
        void maglevAnnotationBuildsATableOverTheFrontendsBackends() {
            DesiredService result = only(translate(annotated("maglev"), slice));

            assertThat(result.frontends()).hasSize(3).allSatisfy(f -> {
                assertThat(f.frontend().algorithm()).isEqualTo(LbAlgorithm.MAGLEV);
                assertThat(f.maglev()).isNotNull();
                assertThat(f.maglev().size()).isEqualTo(MaglevTable.DEFAULT_SIZE);
                assertThat(f.maglev().backends()).isEqualTo(f.backends());
                assertThat(f.maglev()).isEqualTo(MaglevTable.build(f.backends(), MaglevTable.DEFAULT_SIZE));
            });
        }

        @Test
        void maglevWithoutBackendsHasNoTable() {
            DesiredFrontend fe = only(translate(annotated("maglev"))).frontends().getFirst();

            assertThat(fe.maglev()).isNull();
            assertThat(fe.verdict()).isEqualTo(FrontendVerdict.REJECT);
        }

        @Test
        void theConfiguredTableSizeIsUsed() {
            ServiceTranslator small = new ServiceTranslator(new ServiceLbConfig(251, 100), Fixtures.node());

            DesiredFrontend fe = only(small.translate(annotated("maglev"), List.of(slice))).frontends().getFirst();

            assertThat(fe.maglev().size()).isEqualTo(251);
        }

        @Test
        void anUnknownAlgorithmIsRefusedNamingTheAnnotation() {
            TranslationResult result = translate(annotated("Maglev"), slice);

            assertThat(result.services()).isEmpty();
            Refusal refusal = onlyRefusal(result);
            assertThat(refusal.field()).isEqualTo("metadata.annotations[sluice.io/lb-algorithm]");
            assertThat(refusal.reason()).isEqualTo(RefusalReason.UNKNOWN_LB_ALGORITHM);
            assertThat(refusal.message()).contains("sluice.io/lb-algorithm").contains("'Maglev'");
        }
    }

    @Nested
    class Refusals {

        @Test
        void aPortOutOfRangeIsRefusedAndTheOtherPortsGoThrough() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"), port("bad", 70_000, "TCP"),
                    port("https", 443, "TCP"));

            TranslationResult result = translate(svc);

            assertThat(addresses(only(result))).containsExactly("10.96.0.10:80/TCP", "10.96.0.10:443/TCP");
            Refusal refusal = onlyRefusal(result);
            assertThat(refusal.object()).hasToString("Service default/web");
            assertThat(refusal.field()).isEqualTo("spec.ports[1].port");
            assertThat(refusal.reason()).isEqualTo(RefusalReason.INVALID_PORT);
            assertThat(refusal.toString()).startsWith("Service default/web spec.ports[1].port: 70000");
        }

        @Test
        void duplicatePortNamesAndNumbersAreRefused() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"), port("http", 81, "TCP"),
                    port("alt", 80, "TCP"), port("alt-udp", 80, "UDP"));

            TranslationResult result = translate(svc);

            assertThat(addresses(only(result))).containsExactly("10.96.0.10:80/TCP", "10.96.0.10:80/UDP");
            assertThat(result.refusals()).extracting(Refusal::field, Refusal::reason).containsExactly(
                    tuple("spec.ports[1].name", RefusalReason.DUPLICATE_PORT),
                    tuple("spec.ports[2].port", RefusalReason.DUPLICATE_PORT));
        }

        @Test
        void aPortRefusedAfterItsNameOrNumberWasTakenStillHoldsThem() {
            // The name is taken before the number is checked, the number before the target port.
            Service svc = service("web", List.of("10.96.0.10"),
                    port("a", 70_000, "TCP", null, null),
                    port("a", 80, "TCP", null, null),
                    port("b", 81, "TCP", "Not_A_Name", null),
                    port("c", 81, "TCP", null, null),
                    port("d", 81, "UDP", null, null)).build();

            TranslationResult result = translate(svc);

            assertThat(addresses(only(result))).containsExactly("10.96.0.10:81/UDP");
            assertThat(result.refusals()).extracting(Refusal::field, Refusal::reason).containsExactly(
                    tuple("spec.ports[0].port", RefusalReason.INVALID_PORT),
                    tuple("spec.ports[1].name", RefusalReason.DUPLICATE_PORT),
                    tuple("spec.ports[2].targetPort", RefusalReason.INVALID_PORT_NAME),
                    tuple("spec.ports[3].port", RefusalReason.DUPLICATE_PORT));
        }

        @Test
        void badTargetPortsAndNodePortsAreRefusedByField() {
            Service svc = service("web", List.of("10.96.0.10"),
                    port("a", 80, "TCP", 0, null),
                    port("b", 81, "TCP", "Not_A_Name", null),
                    port("c", 82, "TCP", 8082, 70_000))
                    .editSpec().withType("NodePort").endSpec().build();

            TranslationResult result = translate(svc);

            // Port c keeps its cluster IP frontend; only its node ports are left out.
            assertThat(addresses(only(result))).containsExactly("10.96.0.10:82/TCP");
            assertThat(result.refusals()).extracting(Refusal::field).containsExactly(
                    "spec.ports[0].targetPort", "spec.ports[1].targetPort", "spec.ports[2].nodePort");
        }

        @Test
        void badAddressesAreRefusedOneByOne() {
            Service svc = service("web", List.of("10.96.0.10", "fd00::zz"), port("http", 80, "TCP"))
                    .editSpec().withExternalIPs("203.0.113.7", "203.0.113.300").endSpec()
                    .withNewStatus().withNewLoadBalancer().withIngress(
                            new LoadBalancerIngress(null, "lb-host", null, null),
                            new LoadBalancerIngress(null, "198.51.100.1", "Tunnel", null))
                    .endLoadBalancer().endStatus().build();

            TranslationResult result = translate(svc);

            assertThat(addresses(only(result))).containsExactly("10.96.0.10:80/TCP", "203.0.113.7:80/TCP");
            assertThat(result.refusals()).extracting(Refusal::field, Refusal::reason).containsExactly(
                    tuple("spec.clusterIPs[1]", RefusalReason.INVALID_IP),
                    tuple("spec.externalIPs[1]", RefusalReason.INVALID_IP),
                    tuple("status.loadBalancer.ingress[0].ip", RefusalReason.INVALID_IP),
                    tuple("status.loadBalancer.ingress[1].ipMode", RefusalReason.INVALID_IP_MODE));
        }

        @Test
        void twoClusterIpsOfOneFamilyAreRefused() {
            Service svc = service("web", List.of("10.96.0.10", "10.96.0.11"), port("http", 80, "TCP")).build();

            TranslationResult result = translate(svc);

            assertThat(addresses(only(result))).containsExactly("10.96.0.10:80/TCP");
            assertThat(onlyRefusal(result).field()).isEqualTo("spec.clusterIPs[1]");
            assertThat(onlyRefusal(result).reason()).isEqualTo(RefusalReason.IP_FAMILY_CONFLICT);
        }

        @Test
        void anInvalidEndpointAddressRefusesThatEndpointNotTheService() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));
            EndpointSlice slice = slice("web-1", "web", "IPv4", HTTP_8080,
                    ready("10.1.0.5", OTHER_NODE), ready("10.1.0.999", OTHER_NODE), ready("fd00::5", OTHER_NODE),
                    new EndpointBuilder().withNodeName(OTHER_NODE).build());

            TranslationResult result = translate(svc, slice);

            assertThat(backends(only(result).frontends().getFirst())).containsExactly("10.1.0.5:8080");
            assertThat(result.refusals()).extracting(r -> r.object().toString(), Refusal::field, Refusal::reason)
                    .containsExactly(
                            tuple("EndpointSlice default/web-1", "endpoints[1].addresses[0]",
                                    RefusalReason.INVALID_IP),
                            tuple("EndpointSlice default/web-1", "endpoints[2].addresses[0]",
                                    RefusalReason.IP_FAMILY_CONFLICT),
                            tuple("EndpointSlice default/web-1", "endpoints[3].addresses",
                                    RefusalReason.MISSING_ADDRESS));
        }

        @Test
        void badSlicePortsAndAddressTypesAreRefusedByField() {
            Service svc = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));
            EndpointSlice badPorts = slice("web-1", "web", "IPv4",
                    List.of(slicePort("http", null, "TCP"), slicePort("http", 0, "TCP"), slicePort("http", 8080, "QUIC")),
                    ready("10.1.0.5", OTHER_NODE));
            EndpointSlice badType = slice("web-2", "web", "IPv5", HTTP_8080, ready("10.1.0.6", OTHER_NODE));
            EndpointSlice otherService = slice("api-1", "api", "IPv4", HTTP_8080, ready("10.1.0.7", OTHER_NODE));

            TranslationResult result = translate(svc, badPorts, badType, otherService);

            assertThat(only(result).frontends().getFirst().backends()).isEmpty();
            assertThat(result.refusals()).extracting(r -> r.object().name(), Refusal::field, Refusal::reason)
                    .containsExactly(
                            tuple("web-1", "ports[0].port", RefusalReason.INVALID_PORT),
                            tuple("web-1", "ports[1].port", RefusalReason.INVALID_PORT),
                            tuple("web-1", "ports[2].protocol", RefusalReason.INVALID_PROTOCOL),
                            tuple("web-2", "addressType", RefusalReason.INVALID_ADDRESS_TYPE),
                            tuple("api-1", "metadata.labels[kubernetes.io/service-name]",
                                    RefusalReason.SLICE_SERVICE_MISMATCH));
        }

        @Test
        void moreBackendsThanTheLimitRefusesThatPortAndFamily() {
            ServiceTranslator limited = new ServiceTranslator(new ServiceLbConfig(251, 3), Fixtures.node());
            Service svc = service("web", List.of("10.96.0.10", "fd00:96::10"), port("http", 80, "TCP"),
                    port("admin", 9000, "TCP")).build();
            EndpointSlice many = slice("web-1", "web", "IPv4", HTTP_8080, ready("10.1.0.1", OTHER_NODE),
                    ready("10.1.0.2", OTHER_NODE), ready("10.1.0.3", OTHER_NODE), ready("10.1.0.4", OTHER_NODE));
            EndpointSlice few = slice("web-2", "web", "IPv6", HTTP_8080, ready("fd00:1::1", OTHER_NODE));

            TranslationResult result = limited.translate(svc, List.of(many, few));

            assertThat(addresses(only(result))).containsExactly(
                    "10.96.0.10:9000/TCP", "[fd00:96::10]:80/TCP", "[fd00:96::10]:9000/TCP");
            Refusal refusal = onlyRefusal(result);
            assertThat(refusal.field()).isEqualTo("spec.ports[0]");
            assertThat(refusal.reason()).isEqualTo(RefusalReason.TOO_MANY_BACKENDS);
            assertThat(refusal.message()).contains("4 usable IPv4 backends").contains("maxBackendsPerService=3");
        }

        @Test
        void wholeServiceProblemsNameTheirField() {
            Service noNamespace = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));
            noNamespace.getMetadata().setNamespace(null);
            Service badType = service("t", List.of("10.96.0.12"), port("http", 80, "TCP"))
                    .editSpec().withType("Ingress").endSpec().build();
            Service noClusterIp = service("u", List.of(), port("http", 80, "TCP")).build();
            Service badAffinity = service("v", List.of("10.96.0.13"), port("http", 80, "TCP"))
                    .editSpec().withSessionAffinity("Cookie").endSpec().build();
            Service noPorts = service("w", List.of("10.96.0.14")).build();

            List<Refusal> refusals = new ArrayList<>();
            for (Service svc : List.of(noNamespace, badType, noClusterIp, badAffinity, noPorts)) {
                TranslationResult result = translate(svc);
                assertThat(result.services()).isEmpty();
                refusals.addAll(result.refusals());
            }

            assertThat(refusals).extracting(Refusal::field, Refusal::reason).containsExactly(
                    tuple("metadata.namespace", RefusalReason.INVALID_OBJECT),
                    tuple("spec.type", RefusalReason.INVALID_SERVICE_TYPE),
                    tuple("spec.clusterIP", RefusalReason.MISSING_CLUSTER_IP),
                    tuple("spec.sessionAffinity", RefusalReason.INVALID_SESSION_AFFINITY),
                    tuple("spec.ports", RefusalReason.INVALID_PORT));
        }

        @Test
        void aRefusalReasonIsAMetricLabel() {
            assertThat(RefusalReason.TOO_MANY_BACKENDS.metricLabel()).isEqualTo("too_many_backends");
            TranslationResult result = translate(clusterIpService("web", "10.96.0.10", port("a", 0, "TCP"),
                    port("b", -1, "TCP"), port("c", 80, "SCTP")));
            assertThat(result.refusalCounts()).containsExactly(
                    Map.entry(RefusalReason.INVALID_PORT, 2L), Map.entry(RefusalReason.UNSUPPORTED_PROTOCOL, 1L));
        }

        @Test
        void anAddressUsedTwiceInOneServiceIsRefusedForTheLaterField() {
            Service svc = service("web", List.of("10.96.0.10"), port("http", 80, "TCP"))
                    .editSpec().withExternalIPs("203.0.113.7", "203.0.113.7", "10.96.0.10").endSpec().build();

            TranslationResult result = translate(svc);

            assertThat(addresses(only(result))).containsExactly("10.96.0.10:80/TCP", "203.0.113.7:80/TCP");
            Refusal refusal = onlyRefusal(result);
            assertThat(refusal.field()).isEqualTo("spec.externalIPs[2]");
            assertThat(refusal.reason()).isEqualTo(RefusalReason.FRONTEND_CONFLICT);
        }
    }

    @Nested
    class ServiceSets {

        private Service withExternalIp(String name, String clusterIp, String created) {
            return service(name, List.of(clusterIp), port("http", 80, "TCP"))
                    .editMetadata().withCreationTimestamp(created).endMetadata()
                    .editSpec().withExternalIPs("203.0.113.7").endSpec().build();
        }

        @Test
        void slicesFindTheirServiceByLabelAndNamespace() {
            Service web = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));
            Service api = clusterIpService("api", "10.96.0.11", port("http", 80, "TCP"));
            EndpointSlice webSlice = slice("web-x", "web", "IPv4", HTTP_8080, ready("10.1.0.5", OTHER_NODE));
            EndpointSlice apiSlice = slice("api-x", "api", "IPv4", HTTP_8080, ready("10.1.0.6", OTHER_NODE));
            EndpointSlice otherNamespace = slice("web-y", "web", "IPv4", HTTP_8080, ready("10.1.0.7", OTHER_NODE));
            otherNamespace.getMetadata().setNamespace("prod");
            EndpointSlice unlabelled = slice("stray", "web", "IPv4", HTTP_8080, ready("10.1.0.8", OTHER_NODE));
            unlabelled.getMetadata().setLabels(Map.of());

            TranslationResult result = translator().translateAll(List.of(web, api),
                    List.of(apiSlice, otherNamespace, unlabelled, webSlice));

            assertThat(result.services().keySet()).containsExactly(key("api"), key("web"));
            assertThat(backends(result.services().get(key("web")).frontends().getFirst())).containsExactly("10.1.0.5:8080");
            assertThat(backends(result.services().get(key("api")).frontends().getFirst())).containsExactly("10.1.0.6:8080");
            assertThat(onlyRefusal(result).object().name()).isEqualTo("stray");
            assertThat(onlyRefusal(result).field()).isEqualTo("metadata.labels[kubernetes.io/service-name]");
        }

        @Test
        void theOlderServiceKeepsAContestedAddress() {
            Service older = withExternalIp("zeta", "10.96.0.10", "2026-01-01T00:00:00Z");
            Service newer = withExternalIp("alpha", "10.96.0.11", "2026-06-01T00:00:00Z");

            TranslationResult result = translator().translateAll(List.of(newer, older), List.of());

            assertThat(addresses(result.services().get(key("zeta")))).contains("203.0.113.7:80/TCP");
            assertThat(addresses(result.services().get(key("alpha")))).containsExactly("10.96.0.11:80/TCP");
            Refusal refusal = onlyRefusal(result);
            assertThat(refusal.object().name()).isEqualTo("alpha");
            assertThat(refusal.field()).isEqualTo("spec.externalIPs[0]");
            assertThat(refusal.reason()).isEqualTo(RefusalReason.FRONTEND_CONFLICT);
            assertThat(refusal.message()).contains("default/zeta");
        }

        @Test
        void aRefusedServiceDoesNotStopTheOthers() {
            Service good = clusterIpService("good", "10.96.0.10", port("http", 80, "TCP"));
            Service bad = clusterIpService("bad", "10.96.0.300", port("http", 80, "TCP"));

            TranslationResult result = translator().translateAll(List.of(bad, good), List.of());

            assertThat(result.services().keySet()).containsExactly(key("good"));
            assertThat(onlyRefusal(result).object().name()).isEqualTo("bad");
            assertThat(onlyRefusal(result).field()).isEqualTo("spec.clusterIPs[0]");
        }

        @Test
        void theSameInputGivesAnEqualResultForDiffing() {
            Collection<Service> services = List.of(
                    clusterIpService("web", "10.96.0.10", port("http", 80, "TCP")),
                    clusterIpService("api", "10.96.0.11", port("http", 80, "TCP")));
            List<EndpointSlice> slices = List.of(
                    slice("web-1", "web", "IPv4", HTTP_8080, ready("10.1.0.6", OTHER_NODE), ready("10.1.0.5", THIS_NODE)));

            TranslationResult first = translator().translateAll(services, slices);
            TranslationResult second = translator().translateAll(List.copyOf(services).reversed(), slices);

            assertThat(second).isEqualTo(first);
            assertThat(second.services().get(key("web"))).isEqualTo(first.services().get(key("web")));
            assertThat(first.services().get(key("web")).frontends().getFirst().backends()).isSorted();
        }

        @Test
        void aChangedEndpointChangesOnlyItsService() {
            Service web = clusterIpService("web", "10.96.0.10", port("http", 80, "TCP"));
            Service api = clusterIpService("api", "10.96.0.11", port("http", 80, "TCP"));
            EndpointSlice apiSlice = slice("api-1", "api", "IPv4", HTTP_8080, ready("10.1.0.9", OTHER_NODE));

            TranslationResult before = translator().translateAll(List.of(web, api), List.of(apiSlice,
                    slice("web-1", "web", "IPv4", HTTP_8080, ready("10.1.0.5", OTHER_NODE))));
            TranslationResult after = translator().translateAll(List.of(web, api), List.of(apiSlice,
                    slice("web-1", "web", "IPv4", HTTP_8080, ready("10.1.0.5", OTHER_NODE), ready("10.1.0.6", OTHER_NODE))));

            assertThat(after.services().get(key("api"))).isEqualTo(before.services().get(key("api")));
            assertThat(after.services().get(key("web"))).isNotEqualTo(before.services().get(key("web")));
        }
    }
}
