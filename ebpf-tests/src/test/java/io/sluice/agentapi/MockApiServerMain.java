package io.sluice.agentapi;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.net.InetAddress;
import java.util.HashMap;

/**
 * fabric8's Kubernetes mock server in CRUD mode on 127.0.0.1:PORT, as a process of its own ({@link NodeApiServer}
 * starts it inside a node's network namespace and kills it for an outage). Prints {@code listening PORT} once it
 * accepts connections, then serves until killed.
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
     * The CRUD dispatcher, except that a closed watch is cleaned up off the event loop: the mock's own clean-up waits
     * up to a minute for the watch's pending timer, on the event loop, and so stalls every connection of that loop
     * whenever a client (the agent restarting its informers) closes a watch.
     */
    private static final class WatchClosingAside extends KubernetesCrudDispatcher {
        @Override
        public MockResponse handleWatch(String path) {
            MockResponse response = super.handleWatch(path);
            WebSocketListener watch = response.getWebSocketListener();
            if (watch == null) {
                return response;
            }
            return response.withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onBeforeAccept(WebSocket ws, Response r) {
                    watch.onBeforeAccept(ws, r);
                }

                @Override
                public void onOpen(WebSocket ws, Response r) {
                    watch.onOpen(ws, r);
                }

                @Override
                public void onMessage(WebSocket ws, String text) {
                    watch.onMessage(ws, text);
                }

                @Override
                public void onMessage(WebSocket ws, ByteString bytes) {
                    watch.onMessage(ws, bytes);
                }

                @Override
                public void onMessage(WebSocket ws, byte[] bytes) {
                    watch.onMessage(ws, bytes);
                }

                @Override
                public void onPing(WebSocket ws, byte[] bytes) {
                    watch.onPing(ws, bytes);
                }

                @Override
                public void onClosing(WebSocket ws, int code, String reason) {
                    watch.onClosing(ws, code, reason);
                }

                @Override
                public void onClosed(WebSocket ws, int code, String reason) {
                    Thread.ofVirtual().start(() -> watch.onClosed(ws, code, reason));
                }

                @Override
                public void onFailure(WebSocket ws, Throwable t, Response r) {
                    Thread.ofVirtual().start(() -> watch.onFailure(ws, t, r));
                }
            });
        }
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
