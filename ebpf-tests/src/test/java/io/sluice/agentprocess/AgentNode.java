package io.sluice.agentprocess;

import io.sluice.loader.NetworkNamespace;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import io.sluice.testnet.Traffic;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One simulated node for agent tests: a node namespace with a client pod and two backend pods behind
 * {@code lxc-*} veths, a cgroup for the node's own processes, a bpffs folder, a state folder and a manifest
 * folder; and the agent itself, started through the real launcher inside the node's network namespace
 * ({@code nsenter --net}, never {@code ip netns exec}, which would hide bpffs and cgroup2).
 */
public final class AgentNode implements AutoCloseable {
    public static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", "..")).toAbsolutePath().normalize();
    public static final String CLIENT_IP = "198.18.1.2";
    public static final String BACKEND_A = "198.18.2.2";
    public static final String BACKEND_B = "198.18.3.2";
    public static final int METRICS_PORT = 9964;

    public final Topology topology = new Topology();
    public final Netns node;
    public final Netns client;
    public final Netns backendA;
    public final Netns backendB;
    public final Cgroup cgroup;
    public final Path pins;
    public final Path state;
    public final Path manifests;
    private final List<Process> agents = new ArrayList<>();
    private final Map<Process, Path> logs = new HashMap<>();

    public AgentNode() throws IOException {
        try {
            node = topology.namespace("node");
            topology.sysctl(node, "net.ipv4.ip_forward", "1");
            client = pod("client", "lxc-client", CLIENT_IP, "198.18.1.1");
            backendA = pod("backend-a", "lxc-a", BACKEND_A, "198.18.2.1");
            backendB = pod("backend-b", "lxc-b", BACKEND_B, "198.18.3.1");
            cgroup = topology.cgroup("node");
            pins = topology.bpfDirectory("agent");
            state = Files.createTempDirectory("sluice-agent-state-");
            manifests = Files.createTempDirectory("sluice-agent-manifests-");
        } catch (RuntimeException | IOException e) {
            topology.close();
            throw e;
        }
    }

    private Netns pod(String name, String hostVeth, String ip, String gateway) {
        Netns pod = topology.namespace(name);
        topology.veth(pod, "eth0", node, hostVeth);
        topology.address(pod, "eth0", ip + "/24");
        topology.address(node, hostVeth, gateway + "/24");
        topology.routeVia(pod, "198.18.0.0/16", gateway);
        return pod;
    }

    /** Starts TCP listeners on port 8080 of both backends that answer with their names, "backend-a" and "backend-b". */
    public void startNameListeners() {
        Traffic.tcpListener(backendA, 8080, "backend-a");
        Traffic.tcpListener(backendB, 8080, "backend-b");
    }

    /** Starts an echo server ({@code socat}) on TCP port 9090 of both backends; returns once both listen. */
    public void startEchoListeners() {
        for (Netns backend : List.of(backendA, backendB)) {
            backend.spawn("socat", "TCP-LISTEN:9090,fork,reuseaddr", "EXEC:cat");
            Traffic.awaitListening(backend, Traffic.Protocol.TCP, 9090, Duration.ofSeconds(5));
        }
    }

    /** Starts {@code bin/sluice agent} on the manifest folder in the node; returns once it reports ready. */
    public Process startAgent() throws Exception {
        return startAgent(Map.of(), "--manifests", manifests.toString());
    }

    /**
     * Starts {@code bin/sluice agent} in the node with {@code sourceFlags} (e.g. {@code --kubeconfig FILE}) and
     * {@code environment} added to the test's (e.g. {@code SLUICE_JAVA_OPTS}); returns once it reports ready.
     */
    public Process startAgent(Map<String, String> environment, String... sourceFlags) throws Exception {
        return startAgent(ROOT.resolve("bin/sluice"), Duration.ofSeconds(60), environment, sourceFlags);
    }

    /**
     * As {@link #startAgent(Map, String...)}, with another {@code launcher} (e.g. an older build's
     * {@code bin/sluice}, for side-by-side benchmarks) and how long to wait for ready.
     */
    public Process startAgent(Path launcher, Duration readyWithin, Map<String, String> environment, String... sourceFlags)
            throws Exception {
        List<String> command = agentCommand(launcher, node, state, pins, cgroup);
        command.addAll(List.of(sourceFlags));
        Path log = Files.createTempFile("sluice-agent-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process agent = builder.start();
        agents.add(agent);
        logs.put(agent, log);
        awaitReady(agent, node, log, readyWithin);
        return agent;
    }

    /**
     * {@code launcher agent} in {@code node}'s network namespace as node-1, with its state, bpffs and socket cgroup
     * and the status server on {@link #METRICS_PORT}; a mutable list, for the caller to add the source flags.
     */
    public static List<String> agentCommand(Path launcher, Netns node, Path state, Path pins, Cgroup cgroup) {
        return new ArrayList<>(List.of("nsenter", "--net=" + node.path(), launcher.toString(),
                "agent", "--node-name", "node-1", "--state-dir", state.toString(),
                "--bpffs-dir", pins.toString(), "--socket-cgroup", cgroup.path().toString(),
                "--metrics-address", "127.0.0.1:" + METRICS_PORT));
    }

    /**
     * Returns once the agent in {@code node} answers /readyz with 200; throws with its {@code log} if it exits
     * first or is not ready within {@code readyWithin}.
     */
    public static void awaitReady(Process agent, Netns node, Path log, Duration readyWithin)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + readyWithin.toNanos();
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("the agent exited with " + agent.exitValue() + ":\n" + Files.readString(log));
            }
            if (httpGet(node, "/readyz").startsWith("HTTP/1.1 200")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the agent was not ready after " + readyWithin.toSeconds() + " s:\n" + Files.readString(log));
    }

    /** What {@code agent} wrote so far (stdout and stderr). */
    public String logOf(Process agent) throws IOException {
        return Files.readString(logs.get(agent));
    }

    /** A GET on the agent's status server, from inside the node; empty when nothing answers. */
    public String httpGet(String path) {
        return httpGet(node, path);
    }

    /** A GET on the status server of the agent in {@code node} ({@link #METRICS_PORT}); empty when nothing answers. */
    public static String httpGet(Netns node, String path) {
        try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
            return ns.call(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", METRICS_PORT), 1000);
                    socket.setSoTimeout(5000);
                    OutputStream out = socket.getOutputStream();
                    out.write(("GET " + path + " HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    InputStream in = socket.getInputStream();
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            });
        }
    }

    /** Writes a manifest file (the agent watches the folder). */
    public void manifest(String fileName, String yaml) throws IOException {
        Path tmp = manifests.resolve("." + fileName + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, manifests.resolve(fileName), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public void deleteManifest(String fileName) throws IOException {
        Files.deleteIfExists(manifests.resolve(fileName));
    }

    /** Ends an agent the hard way, as a crash or the OOM killer would. */
    public static void kill9(Process agent) throws InterruptedException {
        agent.descendants().forEach(ProcessHandle::destroyForcibly);
        agent.destroyForcibly();
        agent.waitFor(10, TimeUnit.SECONDS);
    }

    /** Ends an agent as an orderly upgrade does: SIGTERM, then waits for it to exit. */
    public static void stop(Process agent) throws InterruptedException {
        agent.destroy();
        if (!agent.waitFor(20, TimeUnit.SECONDS)) {
            kill9(agent);
        }
    }

    public static void awaitQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws Exception {
        for (Process agent : agents) {
            agent.descendants().forEach(ProcessHandle::destroy);
            agent.destroy();
            if (!agent.waitFor(10, TimeUnit.SECONDS)) {
                kill9(agent);
            }
        }
        try {
            topology.close();
        } finally {
            Topology.deleteTree(state);
            Topology.deleteTree(manifests);
            for (Path log : logs.values()) {
                Files.deleteIfExists(log);
            }
        }
    }
}
