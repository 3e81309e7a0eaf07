package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;

import java.util.List;
import java.util.Map;

/** Builders for the Kubernetes objects the tests feed the translator. */
final class Fixtures {

    static final String NS = "default";
    static final String THIS_NODE = "node-a";
    static final String OTHER_NODE = "node-b";

    private Fixtures() {
    }

    /** A ClusterIP Service in {@link #NS} with the given cluster IPs and ports. */
    static ServiceBuilder service(String name, List<String> clusterIps, ServicePort... ports) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(NS).withName(name).endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIps.isEmpty() ? null : clusterIps.getFirst())
                .withClusterIPs(clusterIps)
                .withPorts(ports)
                .endSpec();
    }

    static Service clusterIpService(String name, String clusterIp, ServicePort... ports) {
        return service(name, List.of(clusterIp), ports).build();
    }

    static ServicePort port(String name, int port, String protocol) {
        return new ServicePortBuilder().withName(name).withPort(port).withProtocol(protocol).build();
    }

    static ServicePort port(String name, int port, String protocol, Object targetPort, Integer nodePort) {
        return new ServicePortBuilder().withName(name).withPort(port).withProtocol(protocol)
                .withTargetPort(targetPort == null ? null : new IntOrString(targetPort))
                .withNodePort(nodePort).build();
    }

    static EndpointPort slicePort(String name, Integer port, String protocol) {
        return new EndpointPort(null, name, port, protocol);
    }

    /** A ready endpoint. */
    static Endpoint ready(String address, String nodeName) {
        return endpoint(address, nodeName, true, true, false);
    }

    static Endpoint endpoint(String address, String nodeName, Boolean ready, Boolean serving, Boolean terminating) {
        return new EndpointBuilder()
                .withAddresses(address)
                .withNodeName(nodeName)
                .withConditions(new EndpointConditions(ready, serving, terminating))
                .build();
    }

    static EndpointSlice slice(String name, String serviceName, String addressType, List<EndpointPort> ports,
                               Endpoint... endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(NS).withName(name)
                .withLabels(Map.of(EndpointSliceReader.SERVICE_NAME_LABEL, serviceName)).endMetadata()
                .withAddressType(addressType)
                .withPorts(ports)
                .withEndpoints(endpoints)
                .build();
    }

    static NodeContext node() {
        return NodeContext.parse(THIS_NODE, List.of("192.168.1.10", "192.168.2.10", "fd00:1::10"), List.of());
    }

    static ServiceTranslator translator() {
        return new ServiceTranslator(ServiceLbConfig.DEFAULTS, node());
    }

    static ServiceTranslator translator(NodeContext node) {
        return new ServiceTranslator(ServiceLbConfig.DEFAULTS, node);
    }

    static ServiceKey key(String name) {
        return new ServiceKey(NS, name);
    }
}
