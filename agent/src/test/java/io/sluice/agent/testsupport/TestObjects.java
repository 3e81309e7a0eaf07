package io.sluice.agent.testsupport;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.agent.writer.Store;

/** Small Kubernetes objects for tests. */
public final class TestObjects {
    private TestObjects() {
    }

    public static Service service(String namespace, String name, String resourceVersion, int port) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).withResourceVersion(resourceVersion).endMetadata()
                .withNewSpec().withClusterIP("10.96.0.10").addNewPort().withName("http").withProtocol("TCP")
                .withPort(port).endPort().endSpec()
                .build();
    }

    public static EndpointSlice slice(String namespace, String name, String service, String resourceVersion,
                                      String... addresses) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).withResourceVersion(resourceVersion)
                .addToLabels(Store.SERVICE_NAME_LABEL, service).endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(addresses).withNewConditions().withReady(true).endConditions().endEndpoint()
                .addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort()
                .build();
    }
}
