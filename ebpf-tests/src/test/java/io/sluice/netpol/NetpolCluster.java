package io.sluice.netpol;

import io.sluice.loader.BpfMap;
import io.sluice.agentprocess.AgentNode;
import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.Codec;
import io.sluice.maps.MapName;
import io.sluice.maps.Policy4State;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The shape of the upstream NetworkPolicy e2e tests on one simulated node: namespaces x, y, z with pods a, b, c,
 * each a network namespace behind a veth of the node's namespace, each answering on TCP and UDP ports 80 and 81
 * with its name; an "outside" host (not a pod) with two addresses for ipBlocks; and the agent itself
 * ({@code bin/sluice agent} in the node's namespace) fed from a manifest folder.
 *
 * <p>Responders and probes are Java sockets created inside the pods' namespaces (a socket stays in the namespace
 * it was created in), served and driven on virtual threads: a full matrix of 324 probes runs in parallel and takes
 * about one probe timeout.
 */
final class NetpolCluster implements AutoCloseable {
    static final String OUTSIDE_GATEWAY = "198.19.1.1";
    static final String OUTSIDE_IN = "198.19.1.10";   // inside 198.19.1.0/24, outside its except 198.19.1.16/28
    static final String OUTSIDE_EXCEPT = "198.19.1.20";
    /** A second address on x/a's interface, in its subnet: not x/a's pod address, so sending from it is spoofing. */
    static final String SPOOFED = "198.18.10.99";
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(1000);
    private static final Duration SETTLE = Duration.ofMillis(600);

    final Topology topology = new Topology();
    final Netns node;
    final Netns outside;
    final Path pins;
    final Path state;
    final Path manifests;
    private final Cgroup cgroup;
    private final Map<NetpolPod, Netns> pods = new HashMap<>();
    private final Map<NetpolPod, NetworkNamespace> handles = new HashMap<>();
    private final NetworkNamespace outsideHandle;
    private final List<AutoCloseable> sockets = new ArrayList<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, String> written = new HashMap<>();
    private Process agent;
    private Path agentLog;
    private TypedMap<Integer, Policy4State> revision;

    NetpolCluster() throws Exception {
        try {
            node = topology.namespace("node");
            topology.sysctl(node, "net.ipv4.ip_forward", "1");
            for (NetpolPod pod : NetpolPod.ALL) {
                Netns ns = topology.namespace("pod-" + pod.namespace() + pod.name());
                topology.veth(ns, "eth0", node, pod.hostVeth());
                topology.address(ns, "eth0", pod.ip() + "/24");
                topology.address(node, pod.hostVeth(), pod.gateway() + "/24");
                topology.routeVia(ns, "198.18.0.0/15", pod.gateway());
                if (pod.index() == 0) {
                    topology.address(ns, "eth0", SPOOFED + "/24");
                }
                pods.put(pod, ns);
                handles.put(pod, NetworkNamespace.named(ns.name()));
            }
            outside = topology.namespace("outside");
            topology.veth(outside, "eth0", node, "ext0");
            topology.address(outside, "eth0", OUTSIDE_IN + "/24");
            topology.address(outside, "eth0", OUTSIDE_EXCEPT + "/24");
            topology.address(node, "ext0", OUTSIDE_GATEWAY + "/24");
            topology.routeVia(outside, "198.18.0.0/16", OUTSIDE_GATEWAY);
            outsideHandle = NetworkNamespace.named(outside.name());
            cgroup = topology.cgroup("node");
            pins = topology.bpfDirectory("agent");
            state = Files.createTempDirectory("sluice-netpol-state-");
            manifests = Files.createTempDirectory("sluice-netpol-manifests-");
            for (NetpolPod pod : NetpolPod.ALL) {
                serve(handles.get(pod), "0.0.0.0", pod.toString());
            }
            serve(outsideHandle, "0.0.0.0", "outside");
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- responders

    /** TCP 80 and 81 answer each connection with {@code name}; UDP 80 and 81 answer each datagram with it. */
    private void serve(NetworkNamespace ns, String address, String name) throws IOException {
        byte[] line = (name + "\n").getBytes(StandardCharsets.UTF_8);
        for (int port : new int[] {80, 81}) {
            ServerSocketChannel tcp = ns.call(() -> ServerSocketChannel.open().bind(new InetSocketAddress(address, port), 512));
            DatagramChannel udp = ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(address, port)));
            sockets.add(tcp);
            sockets.add(udp);
            threads.submit(() -> {
                while (tcp.isOpen()) {
                    try (SocketChannel client = tcp.accept()) {
                        client.write(ByteBuffer.wrap(line));
                    } catch (IOException e) {
                        // closed at teardown, or the client went away
                    }
                }
            });
            threads.submit(() -> {
                ByteBuffer in = ByteBuffer.allocate(2048);
                while (udp.isOpen()) {
                    try {
                        in.clear();
                        var sender = udp.receive(in);
                        udp.send(ByteBuffer.wrap(line), sender);
                    } catch (IOException e) {
                        // closed at teardown
                    }
                }
            });
        }
    }

    // ---------------------------------------------------------------- probes

    /** One probe from inside {@code from}: the name of whoever answered, or null when nothing did in time. */
    String probe(NetworkNamespace from, String protocol, String ip, int port, String sourceAddress, Duration timeout) {
        try {
            if (protocol.equals("tcp")) {
                SocketChannel channel = from.call(() -> {
                    SocketChannel c = SocketChannel.open();
                    if (sourceAddress != null) {
                        c.bind(new InetSocketAddress(sourceAddress, 0));
                    }
                    return c;
                });
                try (Socket socket = channel.socket()) {
                    socket.connect(new InetSocketAddress(ip, port), (int) timeout.toMillis());
                    socket.setSoTimeout((int) timeout.toMillis());
                    InputStream in = socket.getInputStream();
                    return readLine(in);
                }
            }
            DatagramChannel channel = from.call(() -> DatagramChannel.open()
                    .bind(new InetSocketAddress(sourceAddress == null ? "0.0.0.0" : sourceAddress, 0)));
            try (var socket = channel.socket()) {
                socket.setSoTimeout((int) timeout.toMillis());
                byte[] ping = "probe".getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(ping, ping.length, InetAddress.getByName(ip), port));
                DatagramPacket reply = new DatagramPacket(new byte[256], 256);
                socket.receive(reply);
                return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8).strip();
            }
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            return null; // refused or unreachable: not reached
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            sb.append((char) b);
        }
        return sb.toString();
    }

    /** Probes the whole matrix in parallel; a probe counts as reached when the destination pod itself answered. */
    Reachability probeMatrix(Duration timeout) throws Exception {
        Reachability observed = new Reachability();
        List<Future<?>> all = new ArrayList<>();
        for (Reachability.Probe probe : Reachability.PROBES) {
            for (NetpolPod from : NetpolPod.ALL) {
                for (NetpolPod to : NetpolPod.ALL) {
                    all.add(threads.submit(() -> {
                        String answer = probe(handles.get(from), probe.protocol(), to.ip(), probe.port(), null, timeout);
                        synchronized (observed) {
                            observed.set(probe, from, to, to.toString().equals(answer));
                        }
                    }));
                }
            }
        }
        for (Future<?> f : all) {
            f.get(1, TimeUnit.MINUTES);
        }
        return observed;
    }

    /**
     * Probes the matrix and compares it with {@code expected}. A cell expected reached but found blocked is probed
     * once more with a longer timeout (a busy machine may be slow to answer); a cell found reached is final.
     *
     * @return the differences that remain, with both matrices printed; empty when they agree
     */
    String compare(Reachability expected) throws Exception {
        Reachability observed = probeMatrix(PROBE_TIMEOUT);
        for (String diff : expected.differences(observed)) {
            String[] parts = diff.split(" ");
            Reachability.Probe probe = Reachability.PROBES.stream().filter(p -> p.toString().equals(parts[0])).findFirst().orElseThrow();
            NetpolPod from = NetpolPod.of(parts[1]);
            NetpolPod to = NetpolPod.of(parts[3]);
            if (expected.get(probe, from, to)) {
                String answer = probe(handles.get(from), probe.protocol(), to.ip(), probe.port(), null, PROBE_TIMEOUT.multipliedBy(3));
                observed.set(probe, from, to, to.toString().equals(answer));
            }
        }
        return expected.differences(observed).isEmpty() ? "" : Reachability.report(expected, observed);
    }

    NetworkNamespace pod(NetpolPod pod) {
        return handles.get(pod);
    }

    NetworkNamespace outside() {
        return outsideHandle;
    }

    // ---------------------------------------------------------------- the agent and its manifests

    /** Writes the namespaces and pods, starts the agent and waits until it is ready. */
    void startAgent() throws Exception {
        writeBaseManifests();
        launchAgent();
    }

    /**
     * Stops the agent with SIGTERM, runs {@code whileAway} (the programs and pinned maps stay), then starts a new
     * agent over the same state and pins and waits until it is ready.
     */
    void restartAgent(ThrowingRunnable whileAway) throws Exception {
        agent.destroy();
        if (!agent.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the agent did not stop within 20 s of SIGTERM");
        }
        whileAway.run();
        launchAgent();
    }

    /** Work that may throw. */
    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void writeBaseManifests() throws IOException {
        StringBuilder base = new StringBuilder();
        for (String ns : NetpolPod.NAMESPACES) {
            base.append("""
                    apiVersion: v1
                    kind: Namespace
                    metadata:
                      name: %s
                      labels: {ns: %s}
                    ---
                    """.formatted(ns, ns));
        }
        writeManifest("namespaces.yaml", base.toString());
        for (NetpolPod pod : NetpolPod.ALL) {
            writeManifest(podFile(pod), podManifest(pod, Map.of("pod", pod.name())));
        }
    }

    private void launchAgent() throws Exception {
        if (agentLog == null) {
            agentLog = Files.createTempFile("sluice-netpol-agent-", ".log");
        }
        List<String> command = AgentNode.agentCommand(AgentNode.ROOT.resolve("bin/sluice"), node, state, pins, cgroup);
        command.addAll(List.of("--manifests", manifests.toString(), "--pod-interface-prefix", "lxc-"));
        agent = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(agentLog.toFile())).start();
        AgentNode.awaitReady(agent, node, agentLog, Duration.ofSeconds(90));
        if (revision == null) {
            revision = new TypedMap<>(BpfMap.openPinned(pins.resolve("maps").resolve(MapName.POLICY4_STATE.cName())),
                    Codec.UINT32, Policy4State.CODEC);
        }
    }

    static String podFile(NetpolPod pod) {
        return "pod-" + pod.namespace() + "-" + pod.name() + ".yaml";
    }

    /** A running pod on node-1 with the four named container ports of the upstream tests. */
    static String podManifest(NetpolPod pod, Map<String, String> labels) {
        StringBuilder l = new StringBuilder();
        labels.forEach((k, v) -> l.append("    ").append(k).append(": ").append(v).append('\n'));
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  labels:
                %s
                spec:
                  nodeName: node-1
                  containers:
                  - name: agnhost
                    image: agnhost
                    ports:
                    - {name: serve-80-tcp, containerPort: 80, protocol: TCP}
                    - {name: serve-81-tcp, containerPort: 81, protocol: TCP}
                    - {name: serve-80-udp, containerPort: 80, protocol: UDP}
                    - {name: serve-81-udp, containerPort: 81, protocol: UDP}
                status:
                  phase: Running
                  podIP: %s
                  podIPs: [{ip: %s}]
                """.formatted(pod.name(), pod.namespace(), l.toString().stripTrailing(), pod.ip(), pod.ip());
    }

    /**
     * Makes the manifest folder hold exactly the base objects plus {@code files} (name → YAML), then waits until
     * the agent has written the change and its revision stayed put for a moment.
     */
    void apply(Map<String, String> files) throws Exception {
        Map<String, String> desired = new HashMap<>(files);
        for (NetpolPod pod : NetpolPod.ALL) {
            desired.putIfAbsent(podFile(pod), podManifest(pod, Map.of("pod", pod.name())));
        }
        desired.putIfAbsent("namespaces.yaml", written.get("namespaces.yaml"));
        int before = currentRevision();
        boolean changed = false;
        for (String name : List.copyOf(written.keySet())) {
            if (!desired.containsKey(name)) {
                Files.delete(manifests.resolve(name));
                written.remove(name);
                changed = true;
            }
        }
        for (Map.Entry<String, String> e : desired.entrySet()) {
            if (!Objects.equals(written.get(e.getKey()), e.getValue())) {
                writeManifest(e.getKey(), e.getValue());
                changed = true;
            }
        }
        if (changed) {
            awaitSettled(before);
        }
    }

    private void writeManifest(String name, String yaml) throws IOException {
        Path tmp = manifests.resolve("." + name + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, manifests.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        written.put(name, yaml);
    }

    int currentRevision() {
        return revision.get(0).map(Policy4State::revision).orElse(0);
    }

    private void awaitSettled(int before) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (currentRevision() == before) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the agent did not write the policy change within 20 s (revision still "
                        + before + "); its log:\n" + Files.readString(agentLog));
            }
            Thread.sleep(50);
        }
        int seen = currentRevision();
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < SETTLE.toNanos()) {
            Thread.sleep(50);
            int now = currentRevision();
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            }
        }
    }

    /** A GET on the agent's status server, from inside the node; empty when nothing answers. */
    String httpGet(String path) {
        return AgentNode.httpGet(node, path);
    }

    String agentLog() throws IOException {
        return agentLog == null ? "" : Files.readString(agentLog);
    }

    @Override
    public void close() throws Exception {
        if (agent != null) {
            agent.descendants().forEach(ProcessHandle::destroy);
            agent.destroy();
            if (!agent.waitFor(10, TimeUnit.SECONDS)) {
                AgentNode.kill9(agent);
            }
        }
        if (revision != null) {
            revision.map().close();
            revision.close();
        }
        for (AutoCloseable s : sockets) {
            s.close();
        }
        threads.shutdownNow();
        handles.values().forEach(NetworkNamespace::close);
        if (outsideHandle != null) {
            outsideHandle.close();
        }
        try {
            topology.close();
        } finally {
            if (state != null) {
                Topology.deleteTree(state);
            }
            if (manifests != null) {
                Topology.deleteTree(manifests);
            }
            if (agentLog != null) {
                Files.deleteIfExists(agentLog);
            }
        }
    }
}
