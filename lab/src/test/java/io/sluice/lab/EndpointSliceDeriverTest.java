package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class EndpointSliceDeriverTest {

    static Pod pod(String ns, String name, String ip, Map<String, String> labels, boolean ready, String portName, int port) {
        return new PodBuilder()
                .withNewMetadata().withNamespace(ns).withName(name).withUid("uid-" + name).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName("lab-1")
                    .addNewContainer().withName("c").addNewPort().withName(portName).withContainerPort(port).endPort().endContainer()
                .endSpec()
                .withNewStatus().withPodIP(ip)
                    .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus()
                .build();
    }

    static Service service(String ns, Map<String, String> selector, IntOrString target) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(ns).withName("svc").withUid("svc-uid").addToLabels("team", "a").endMetadata()
                .withNewSpec().withSelector(selector)
                    .withPorts(new ServicePortBuilder().withName("http").withProtocol("TCP").withPort(80).withTargetPort(target).build())
                .endSpec()
                .build();
    }

    @Test
    void selectsReadyAndNotReadyPodsOfTheNamespaceWithTheirConditionsAndNode() {
        List<Pod> pods = List.of(
                pod("x", "a", "198.19.1.2", Map.of("app", "web"), true, "http", 8080),
                pod("x", "b", "198.19.1.3", Map.of("app", "web", "extra", "1"), false, "http", 8080),
                pod("x", "c", "198.19.1.4", Map.of("app", "db"), true, "http", 8080),
                pod("y", "d", "198.19.1.5", Map.of("app", "web"), true, "http", 8080));
        List<EndpointSlice> slices = EndpointSliceDeriver.derive(service("x", Map.of("app", "web"), new IntOrString(8080)), pods);
        assertThat(slices).singleElement().satisfies(slice -> {
            assertThat(slice.getMetadata().getName()).startsWith("svc-");
            assertThat(slice.getMetadata().getNamespace()).isEqualTo("x");
            assertThat(slice.getMetadata().getLabels()).containsEntry("kubernetes.io/service-name", "svc")
                    .containsEntry("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
                    .containsEntry("team", "a");
            assertThat(slice.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getUid()).isEqualTo("svc-uid"));
            assertThat(slice.getAddressType()).isEqualTo("IPv4");
            assertThat(slice.getPorts()).singleElement().satisfies(p -> {
                assertThat(p.getName()).isEqualTo("http");
                assertThat(p.getPort()).isEqualTo(8080);
                assertThat(p.getProtocol()).isEqualTo("TCP");
            });
            assertThat(slice.getEndpoints()).extracting(e -> e.getTargetRef().getName()).containsExactly("a", "b");
            Endpoint b = slice.getEndpoints().get(1);
            assertThat(b.getConditions().getReady()).isFalse();
            assertThat(b.getConditions().getServing()).isFalse();
            assertThat(b.getNodeName()).isEqualTo("lab-1");
            assertThat(b.getTargetRef().getUid()).isEqualTo("uid-b");
        });
    }

    @Test
    void publishNotReadyAddressesMakesEveryEndpointReady() {
        Service svc = service("x", Map.of("app", "web"), new IntOrString(80));
        svc.getSpec().setPublishNotReadyAddresses(true);
        List<EndpointSlice> slices = EndpointSliceDeriver.derive(svc,
                List.of(pod("x", "a", "198.19.1.2", Map.of("app", "web"), false, "http", 80)));
        assertThat(slices.getFirst().getEndpoints().getFirst().getConditions().getReady()).isTrue();
    }

    @Test
    void aNamedTargetPortIsResolvedPerPodAndPodsWithoutItServeNothingOnIt() {
        List<Pod> pods = List.of(
                pod("x", "a", "198.19.1.2", Map.of("app", "web"), true, "http", 8080),
                pod("x", "b", "198.19.1.3", Map.of("app", "web"), true, "http", 9090),
                pod("x", "c", "198.19.1.4", Map.of("app", "web"), true, "admin", 8080));
        List<EndpointSlice> slices = EndpointSliceDeriver.derive(service("x", Map.of("app", "web"), new IntOrString("http")), pods);
        Map<Integer, List<String>> byPort = new HashMap<>();
        for (EndpointSlice s : slices) {
            int port = s.getPorts().isEmpty() ? -1 : s.getPorts().getFirst().getPort();
            byPort.put(port, s.getEndpoints().stream().map(e -> e.getTargetRef().getName()).toList());
        }
        assertThat(byPort).containsOnly(
                Map.entry(8080, List.of("a")), Map.entry(9090, List.of("b")), Map.entry(-1, List.of("c")));
        assertThat(slices).extracting(s -> s.getMetadata().getName()).doesNotHaveDuplicates();
    }

    @Test
    void noSelectorOrExternalNameGivesNoSliceAndNoPodsGivesOneEmptySlice() {
        Pod a = pod("x", "a", "198.19.1.2", Map.of("app", "web"), true, "http", 80);
        assertThat(EndpointSliceDeriver.derive(service("x", Map.of(), new IntOrString(80)), List.of(a))).isEmpty();
        Service external = service("x", Map.of("app", "web"), new IntOrString(80));
        external.getSpec().setType("ExternalName");
        assertThat(EndpointSliceDeriver.derive(external, List.of(a))).isEmpty();
        assertThat(EndpointSliceDeriver.derive(service("x", Map.of("app", "none"), new IntOrString(80)), List.of(a)))
                .singleElement().satisfies(s -> assertThat(s.getEndpoints()).isEmpty());
    }

    /** A pod as generated: namespace, labels from a small alphabet, readiness. */
    record PodSpec(String namespace, Map<String, String> labels, boolean ready) {
    }

    @Provide
    Arbitrary<List<PodSpec>> pods() {
        Arbitrary<Map<String, String>> labels = Arbitraries.maps(Arbitraries.of("app", "tier", "pod"),
                Arbitraries.of("a", "b")).ofMaxSize(3);
        return Combinators.combine(Arbitraries.of("x", "y"), labels, Arbitraries.of(true, false))
                .as(PodSpec::new).list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<Map<String, String>> selectors() {
        return Arbitraries.maps(Arbitraries.of("app", "tier", "pod"), Arbitraries.of("a", "b")).ofMinSize(1).ofMaxSize(2);
    }

    @Property(tries = 200)
    void everySelectedPodIsOneEndpointAndNoOtherPodIs(@ForAll("pods") List<PodSpec> specs,
                                                       @ForAll("selectors") Map<String, String> selector) {
        List<Pod> pods = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < specs.size(); i++) {
            PodSpec s = specs.get(i);
            pods.add(pod(s.namespace(), "p" + i, "198.19.1." + (i + 2), s.labels(), s.ready(), "http", 80));
            boolean selected = s.namespace().equals("x")
                    && selector.entrySet().stream().allMatch(e -> e.getValue().equals(s.labels().get(e.getKey())));
            if (selected) {
                expected.add("p" + i);
            }
        }
        List<EndpointSlice> slices = EndpointSliceDeriver.derive(service("x", selector, new IntOrString(80)), pods);
        List<String> endpoints = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            for (Endpoint e : slice.getEndpoints()) {
                endpoints.add(e.getTargetRef().getName());
                int index = Integer.parseInt(e.getTargetRef().getName().substring(1));
                assertThat(e.getConditions().getReady()).isEqualTo(specs.get(index).ready());
                assertThat(e.getAddresses()).containsExactly("198.19.1." + (index + 2));
            }
        }
        assertThat(endpoints).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
        assertThat(slices).isNotEmpty();
    }
}
