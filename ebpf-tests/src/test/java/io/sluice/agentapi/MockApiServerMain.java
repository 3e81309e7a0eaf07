package io.sluice.agentapi;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sluice.agent.testsupport.WatchClosingAside;
import java.net.InetAddress;
import java.util.HashMap;

/**
 * fabric8's Kubernetes mock server in CRUD mode on 127.0.0.1:PORT, as a process of its own ({@link NodeApiServer}
 * starts it inside a node's network namespace and kills it for an outage). Prints {@code listening PORT} once it
 * accepts connections, then serves until killed. Its dispatcher is the agent tests' {@link WatchClosingAside}, so
 * an agent closing its watches does not stall the server.
 */
public final class MockApiServerMain {
    private MockApiServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new WatchClosingAside(), false);
        server.init(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        warmUp(server);
        System.out.println("listening " + server.getPort());
        System.out.flush();
        Thread.currentThread().join();
    }

    /**
     * Serves a create, a list and a delete of each kind the tests use before it says it listens: a cold JVM takes
     * seconds over its first requests on a busy machine, which clients would otherwise take for an outage.
     */
    private static void warmUp(KubernetesMockServer server) {
        try (KubernetesClient client = server.createClient()) {
            client.resource(new ServiceBuilder().withNewMetadata().withNamespace("warm-up").withName("warm-up").endMetadata()
                    .withNewSpec().addNewPort().withPort(1).endPort().endSpec().build()).create();
            client.resource(new EndpointSliceBuilder().withNewMetadata().withNamespace("warm-up").withName("warm-up")
                    .endMetadata().withAddressType("IPv4").build()).create();
            client.services().inAnyNamespace().list();
            client.discovery().v1().endpointSlices().inAnyNamespace().list();
            client.services().inNamespace("warm-up").withName("warm-up").delete();
            client.discovery().v1().endpointSlices().inNamespace("warm-up").withName("warm-up").delete();
        }
    }
}
