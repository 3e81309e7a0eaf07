package io.sluice.agentapi;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.sluice.loader.NetworkNamespace;
import io.sluice.testnet.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A Kubernetes API server on the loopback of a node's network namespace (where the agent runs: the root namespace's
 * loopback is another one), and a client for the test that talks to it from there.
 *
 * <p>The server is fabric8's CRUD mock server run as a process of its own ({@link MockApiServerMain}) under
 * {@code nsenter --net}: stopping it is a SIGKILL, as an API server crash, and a new one starts empty on the same
 * port. (In the test's JVM the mock server blocks its event loop for seconds whenever a watch closes, which made
 * a restart on the same port unreliable.)
 *
 * <p>The client lives in the test's JVM. A socket belongs to the network namespace of the thread that creates it,
 * and a new thread starts in the namespace of the thread that creates it; Vert.x, under the client, makes its
 * event-loop threads lazily and connects on them. So every client call runs on one thread that lives in the node:
 * every Vert.x thread descends from it, and every connection is the node's.
 */
final class NodeApiServer implements AutoCloseable {
    private final Netns node;
    private final NetworkNamespace namespace;
    private final ExecutorService nodeThread;
    private final int port;
    private final Path log;
    private Process server;
    private KubernetesClient client;

    private NodeApiServer(Netns node, int port) throws IOException {
        this.node = node;
        this.namespace = NetworkNamespace.named(node.name());
        this.port = port;
        this.log = Files.createTempFile("sluice-mock-api-", ".log");
        this.nodeThread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("node-api-client").daemon()
                .unstarted(() -> namespace.run(() -> {
                    r.run();
                    return null;
                })));
    }

    /** A server on 127.0.0.1:{@code port} of {@code node}, empty. */
    static NodeApiServer start(Netns node, int port) throws Exception {
        NodeApiServer api = new NodeApiServer(node, port);
        try {
            api.startServer();
        } catch (Exception e) {
            api.close();
            throw e;
        }
        return api;
    }

    private void startServer() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        // C1 only: the server is short-lived, and starts answering sooner without C2 competing for the CPU.
        server = new ProcessBuilder(List.of("nsenter", "--net=" + node.path(), java, "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                MockApiServerMain.class.getName(), Integer.toString(port)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains("listening " + port)) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                String threads = server.isAlive() ? new String(new ProcessBuilder(java.replaceFirst("java$", "jcmd"),
                        Long.toString(server.pid()), "Thread.print").redirectErrorStream(true).start()
                        .getInputStream().readAllBytes()) : "";
                throw new IllegalStateException("the mock API server did not start:\n" + Files.readString(log) + threads);
            }
            Thread.sleep(50);
        }
        inNode(() -> client = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + port).withNamespace("default")
                .withRequestRetryBackoffLimit(0).withRequestTimeout(60_000).build()).build());
    }

    /** Kills the server: the API is gone until {@link #startAgain()}. */
    void stop() throws InterruptedException {
        inNode(() -> {
            if (client != null) {
                client.close();
                client = null;
            }
            return null;
        });
        if (server != null) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
            server = null;
        }
    }

    /** A new, empty server on the same port (as an API server that lost its state). */
    void startAgain() throws Exception {
        stop();
        Files.writeString(log, "");
        startServer();
    }

    /** Runs {@code work} with the test's client, inside the node. */
    <T> T call(Function<KubernetesClient, T> work) {
        return inNode(() -> work.apply(client));
    }

    private <T> T inNode(Callable<T> work) {
        try {
            return nodeThread.submit(work).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Writes a kubeconfig for the agent into {@code dir}. */
    Path kubeconfig(Path dir) throws IOException {
        return ListWatchApiServer.kubeconfig(dir, port);
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            nodeThread.shutdown();
            nodeThread.awaitTermination(10, TimeUnit.SECONDS);
            namespace.close();
            Files.deleteIfExists(log);
        }
    }
}
