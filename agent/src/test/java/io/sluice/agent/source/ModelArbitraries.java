package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Services and EndpointSlices with varied ports, addresses, conditions and labels, for property tests. */
final class ModelArbitraries {
    private ModelArbitraries() {
    }

    static Arbitrary<Service> services() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12);
        Arbitrary<List<io.fabric8.kubernetes.api.model.ServicePort>> ports = Combinators.combine(
                        names, Arbitraries.integers().between(1, 65535), Arbitraries.of("TCP", "UDP", "SCTP"),
                        Arbitraries.oneOf(Arbitraries.integers().between(1, 65535).map(String::valueOf), names),
                        Arbitraries.integers().between(30000, 32767).injectNull(0.5))
                .as((name, port, protocol, target, nodePort) -> new ServicePortBuilder().withName(name).withPort(port)
                        .withProtocol(protocol).withNewTargetPort(target.chars().allMatch(Character::isDigit)
                                ? (Object) Integer.valueOf(target) : target)
                        .withNodePort(nodePort).build())
                .list().ofMaxSize(4);
        return Combinators.combine(names, names, ipv4(), ports, Arbitraries.of("ClusterIP", "NodePort", "LoadBalancer"),
                        Arbitraries.of("Cluster", "Local"), Arbitraries.maps(names, names).ofMaxSize(3))
                .as((namespace, name, ip, p, type, policy, labels) -> new ServiceBuilder()
                        .withNewMetadata().withNamespace(namespace).withName(name).withLabels(labels)
                        .withResourceVersion("7").endMetadata()
                        .withNewSpec().withType(type).withClusterIP(ip).withClusterIPs(ip).withPorts(p)
                        .withExternalTrafficPolicy(type.equals("ClusterIP") ? null : policy)
                        .withSelector(Map.of("app", name)).endSpec().build());
    }

    static Arbitrary<EndpointSlice> slices() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12);
        Arbitrary<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = Combinators.combine(
                        ipv4(), Arbitraries.of(true, false), Arbitraries.of(true, false).injectNull(0.3),
                        names.injectNull(0.5))
                .as((ip, ready, terminating, node) -> new EndpointBuilder().withAddresses(ip)
                        .withNewConditions().withReady(ready).withServing(ready).withTerminating(terminating).endConditions()
                        .withNodeName(node).build());
        return Combinators.combine(names, names, endpoints.list().ofMaxSize(12), Arbitraries.integers().between(1, 65535),
                        Arbitraries.of("TCP", "UDP"))
                .as((namespace, service, eps, port, protocol) -> new EndpointSliceBuilder()
                        .withNewMetadata().withNamespace(namespace).withName(service + "-abc")
                        .addToLabels("kubernetes.io/service-name", service).endMetadata()
                        .withAddressType("IPv4").withEndpoints(eps.stream().map(e -> withPod(e, namespace)).toList())
                        .addNewPort().withName("http").withPort(port).withProtocol(protocol).endPort().build());
    }

    /**
     * {@code endpoint} with the targetRef the endpointslice controller writes, its Pod in {@code namespace} (the
     * slice's), for most addresses; another namespace's or none for some.
     */
    private static io.fabric8.kubernetes.api.model.discovery.v1.Endpoint withPod(
            io.fabric8.kubernetes.api.model.discovery.v1.Endpoint endpoint, String namespace) {
        String address = endpoint.getAddresses().getFirst();
        int choice = Math.floorMod(address.hashCode(), 8);
        if (choice == 0) {
            return endpoint;
        }
        return new EndpointBuilder(endpoint).withNewTargetRef().withKind("Pod")
                .withNamespace(choice == 1 ? namespace + "-other" : namespace).withName("pod-" + address.replace('.', '-'))
                .withUid(java.util.UUID.nameUUIDFromBytes(address.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString())
                .endTargetRef().build();
    }

    private static Arbitrary<String> ipv4() {
        return Arbitraries.integers().between(0, 255).list().ofSize(4)
                .map(o -> o.get(0) + "." + o.get(1) + "." + o.get(2) + "." + o.get(3));
    }
}
