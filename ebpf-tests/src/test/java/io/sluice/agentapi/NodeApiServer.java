package io.sluice.agentapi;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sluice.loader.NetworkNamespace;
import io.sluice.testnet.Netns;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.function.Function;

/**
 * fabric8's Kubernetes mock server in CRUD mode, standalone on the loopback of a node's network namespace (where the
 * agent runs: the root namespace's loopback is another one), and a client for the test that talks to it from there.
 *
 * <p>A socket belongs to the network namespace of the thread that creates it, so the server is started, and every
 * client call is made, inside {@link NetworkNamespace#call}: the listening socket, the client's event-loop threads
 * (which inherit the namespace of the thread that creates them) and its connections all live in the node.
 */
final class NodeApiServer implements AutoCloseable {
    private final NetworkNamespace namespace;
    private final int port;
    private KubernetesMockServer server;
    private KubernetesClient client;

    private NodeApiServer(NetworkNamespace namespace, int port) {
        this.namespace = namespace;
        this.port = port;
    }

    /** A server on 127.0.0.1:{@code port} of {@code node}, empty. */
    static NodeApiServer start(Netns node, int port) {
        NodeApiServer api = new NodeApiServer(NetworkNamespace.named(node.name()), port);
        try {
            api.startServer();
        } catch (RuntimeException e) {
            api.close();
            throw e;
        }
        return api;
    }

    private void startServer() {
        namespace.run(() -> {
            server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                    new KubernetesCrudDispatcher(), false);
            server.init(InetAddress.getLoopbackAddress(), port);
            client = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                    .withMasterUrl("http://127.0.0.1:" + port).withNamespace("default")
                    .withRequestRetryBackoffLimit(0).build()).build();
            return null;
        });
    }

    /** Stops the server: the API is gone until {@link #startAgain()}. */
    void stop() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (server != null) {
            server.destroy();
            server = null;
        }
    }

    /** A new, empty server on the same port (as an API server that lost its state). */
    void startAgain() {
        stop();
        startServer();
    }

    /** Runs {@code work} with the test's client, inside the node. */
    <T> T call(Function<KubernetesClient, T> work) {
        return namespace.call(() -> work.apply(client));
    }

    /** Writes a kubeconfig for the agent into {@code dir}. */
    Path kubeconfig(Path dir) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: http://127.0.0.1:%d
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: agent
                    namespace: default
                current-context: mock
                users:
                - name: agent
                  user:
                    token: not-checked-by-the-mock
                """.formatted(port));
        return file;
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            namespace.close();
        }
    }
}
