package io.sluice.labrun;

import io.sluice.agent.SluiceCli;
import io.sluice.agent.cli.CliJson;
import io.sluice.agent.cli.PinnedMaps;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.Lb4AffinityKey;
import io.sluice.maps.Lb4AffinityValue;
import io.sluice.maps.Pct4Entry;
import io.sluice.maps.Pct4Key;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * A lab started with {@code bin/sluice lab up} for this package's tests, driven only the way an operator drives it:
 * through {@code bin/sluice} ({@code lab status -o json}, {@code lab exec}), the CLI's {@code explain} and, to see what a
 * command left in the data path, by reading a node agent's pinned maps.
 */
final class RunningLab {
    static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", "..")).toAbsolutePath().normalize();

    private final String name;

    RunningLab(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    /** What one command printed (stdout and stderr together) and its exit code. */
    record Run(int exit, String output) {
    }

    /** A node of {@code lab status -o json}, with its agent's pid and whether status reports it running (ready). */
    record Node(String name, String networkNamespace, String address, String podCidr, Path bpffsDir, long agentPid,
                boolean agentRunning) {
        /** Whether {@code ipv4} lies in this node's pod CIDR. */
        boolean owns(String ipv4) {
            String[] cidr = podCidr.split("/");
            int bits = Integer.parseInt(cidr[1]);
            long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
            return (toLong(ipv4) & mask) == (toLong(cidr[0]) & mask);
        }
    }

    /** A pod of {@code lab status -o json} ({@code namespace/name}). */
    record Pod(String name, String node, String address) {
    }

    /** A service of {@code lab status -o json}: its frontends ({@code address:port/PROTO}) and backend pods. */
    record Service(String name, String clusterIp, List<String> frontends, List<String> backendPods, List<String> backendAddresses) {
    }

    /** {@code lab status -o json}, parsed. */
    record Status(List<Node> nodes, List<Pod> pods, List<Service> services) {
        Pod pod(String name) {
            return pods.stream().filter(p -> p.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("lab status lists no pod " + name + ": " + pods));
        }

        Node node(String name) {
            return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("lab status lists no node " + name));
        }

        Optional<Service> service(String name) {
            return services.stream().filter(s -> s.name().equals(name)).findFirst();
        }

        /** The node whose pod CIDR holds {@code address}, if any. */
        Optional<Node> nodeOwning(String address) {
            return nodes.stream().filter(n -> n.owns(address)).findFirst();
        }
    }

    /** Runs {@code bin/sluice ARGS}; fails the test when it does not end in time. */
    static Run sluice(int timeoutSeconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/sluice").toString()));
        command.addAll(List.of(args));
        return run(timeoutSeconds, command.toArray(String[]::new));
    }

    static Run run(int timeoutSeconds, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end in " + timeoutSeconds + " s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** {@code sluice lab status --name NAME -o json}. */
    Status status() throws Exception {
        Run run = sluice(60, "lab", "status", "--name", name, "-o", "json");
        if (run.exit() != 0) {
            throw new AssertionError("lab status failed:\n" + run.output());
        }
        JsonNode root = CliJson.MAPPER.readTree(run.output());
        List<Node> nodes = new ArrayList<>();
        for (JsonNode n : root.path("nodes")) {
            nodes.add(new Node(n.path("name").asString(), n.path("networkNamespace").asString(), n.path("address").asString(),
                    n.path("podCIDR").asString(), Path.of(n.path("bpffsDir").asString()), n.path("agentPid").asLong(),
                    n.path("agentRunning").asBoolean()));
        }
        List<Pod> pods = new ArrayList<>();
        for (JsonNode p : root.path("pods")) {
            pods.add(new Pod(p.path("name").asString(), p.path("node").asString(), p.path("address").asString()));
        }
        List<Service> services = new ArrayList<>();
        for (JsonNode s : root.path("services")) {
            List<String> frontends = new ArrayList<>();
            s.path("frontends").forEach(f -> frontends.add(f.asString()));
            List<String> backendPods = new ArrayList<>();
            List<String> backendAddresses = new ArrayList<>();
            for (JsonNode b : s.path("backends")) {
                backendPods.add(b.path("pod").asString());
                backendAddresses.add(b.path("address").asString());
            }
            services.add(new Service(s.path("name").asString(), s.path("clusterIP").asString(), frontends, backendPods,
                    backendAddresses));
        }
        return new Status(nodes, pods, services);
    }

    /**
     * {@code sluice explain -o json SOURCE DESTINATION} on {@code node}, as an operator runs it there: in the node's
     * network namespace ({@code --netns}), on the node agent's pin folder ({@code --pin-dir}). The command runs in this
     * JVM through the CLI's real command tree: a JVM start per probe would cost more than the probe.
     */
    static JsonNode explain(Node node, String source, String destination) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SluiceCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute("explain", "--netns", node.networkNamespace(), "--pin-dir", node.bpffsDir().toString(),
                "-o", "json", source, destination);
        if (exit != 0 || !err.toString().isEmpty()) {
            throw new AssertionError("explain " + source + " " + destination + " on " + node.name() + " exited " + exit
                    + ":\n" + err + out);
        }
        return CliJson.MAPPER.readTree(out.toString());
    }

    /** The entries the data path writes for flows on a node: conntrack, policy conntrack, session affinity. */
    record FlowMaps(Map<Ct4Key, Ct4Entry> conntrack, Map<Pct4Key, Pct4Entry> policyConntrack,
                    Map<Lb4AffinityKey, Lb4AffinityValue> affinity) {
    }

    /** The flow maps of a node, read from its agent's pins. */
    static FlowMaps flowMaps(Node node) {
        try (PinnedMaps maps = new PinnedMaps(node.bpffsDir())) {
            return new FlowMaps(maps.conntrack().entries(), maps.policyConntrack().entries(), maps.affinity().entries());
        }
    }

    /** What a real connection met: an answer (the answering pod's name), a refusal or no answer in time. */
    sealed interface Outcome {
        record Answered(String by) implements Outcome {
        }

        record Refused() implements Outcome {
        }

        record TimedOut() implements Outcome {
        }

        record Failed(String error) implements Outcome {
        }
    }

    /**
     * A client's connection to one {@code PROTO/ADDRESS/PORT} target (TCP: connect and read the responder's line;
     * UDP: a datagram, resent once), as one JSON object; the timeout is the first argument.
     */
    private static final String CONNECT = """
            import json, socket, sys, threading, time
            from concurrent.futures import ThreadPoolExecutor
            TIMEOUT = float(sys.argv[1])
            def one(target):
                proto, address, port = target.split("/")
                try:
                    if proto == "TCP":
                        with socket.create_connection((address, int(port)), timeout=TIMEOUT) as s:
                            data = b""
                            while b"\\n" not in data:
                                chunk = s.recv(4096)
                                if not chunk:
                                    break
                                data += chunk
                            return {"answer": data.decode().strip()} if data else {"error": "closed without an answer"}
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                        s.settimeout(TIMEOUT / 2)
                        s.connect((address, int(port)))
                        for attempt in range(2):
                            s.send(b"probe\\n")
                            try:
                                return {"answer": s.recv(65535).decode().strip()}
                            except socket.timeout:
                                pass
                        return {"timedOut": True}
                except ConnectionRefusedError:
                    return {"refused": True}
                except socket.timeout:
                    return {"timedOut": True}
                except OSError as e:
                    return {"error": str(e)}
            """;

    /**
     * A client run in the pod with {@code sluice lab exec}: it tries every target of its arguments at once and prints
     * one JSON list, an object per target.
     */
    private static final String CLIENT = CONNECT + """
            with ThreadPoolExecutor(max_workers=max(1, len(sys.argv) - 2)) as pool:
                print(json.dumps(list(pool.map(one, sys.argv[2:]))))
            """;

    /**
     * A client run in the pod with {@code sluice lab exec} that tries every target of its arguments in turn, again and
     * again until its standard input closes, printing one JSON list per round.
     */
    private static final String STREAM = CONNECT + """
            closed = threading.Event()
            threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
            while not closed.is_set():
                print(json.dumps([one(t) for t in sys.argv[2:]]), flush=True)
                time.sleep(0.01)
            """;

    /** A steady stream of connections from a pod (see {@link #connectRepeatedly}), one round of targets after another. */
    static final class ConnectionStream implements AutoCloseable {
        private final Process process;
        private final List<List<Outcome>> rounds = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread reader;

        private ConnectionStream(Process process) {
            this.process = process;
            this.reader = Thread.ofPlatform().start(() -> {
                try (var lines = process.inputReader(StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        if (line.startsWith("[")) {
                            rounds.add(outcomes(line));
                        }
                    }
                } catch (java.io.IOException e) {
                    // the client ended
                }
            });
        }

        /** Waits until the client finished {@code count} rounds in all; fails when it does not within 60 s. */
        void awaitRounds(int count) throws InterruptedException {
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            while (rounds.size() < count) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("the client made " + rounds.size() + " rounds of connections, not " + count
                            + (process.isAlive() ? " within 60 s" : "; it exited with " + process.exitValue()));
                }
                Thread.sleep(20);
            }
        }

        int roundsSoFar() {
            return rounds.size();
        }

        /** Ends the client (closes its input) and returns every round it made, in order. */
        List<List<Outcome>> stop() throws InterruptedException {
            close();
            return List.copyOf(rounds);
        }

        @Override
        public void close() throws InterruptedException {
            try {
                process.getOutputStream().close();
            } catch (java.io.IOException e) {
                // already gone
            }
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            reader.join(5_000);
        }
    }

    /**
     * Connections from {@code pod} to each {@code PROTO/ADDRESS/PORT} target in turn, repeated until the stream is
     * stopped.
     */
    ConnectionStream connectRepeatedly(String pod, List<String> targets) throws java.io.IOException {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/sluice").toString(), "lab", "exec", "--name",
                name, pod, "--", "python3", "-c", STREAM, "1"));
        command.addAll(targets);
        return new ConnectionStream(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /** Real connections from {@code pod} to each {@code PROTO/ADDRESS/PORT} target, in the order given. */
    List<Outcome> connectFrom(String pod, List<String> targets) throws Exception {
        List<String> command = new ArrayList<>(List.of("lab", "exec", "--name", name, pod, "--", "python3", "-c", CLIENT, "2"));
        command.addAll(targets);
        Run run = sluice(120, command.toArray(String[]::new));
        if (run.exit() != 0) {
            throw new AssertionError("lab exec " + pod + " failed:\n" + run.output());
        }
        String json = run.output().lines().filter(l -> l.startsWith("[")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("the client in " + pod + " printed no result:\n" + run.output()));
        return outcomes(json);
    }

    /** A client's JSON list of results, one outcome per target. */
    private static List<Outcome> outcomes(String json) {
        List<Outcome> outcomes = new ArrayList<>();
        for (JsonNode o : CliJson.MAPPER.readTree(json)) {
            outcomes.add(o.has("answer") ? new Outcome.Answered(o.path("answer").asString())
                    : o.has("refused") ? new Outcome.Refused()
                    : o.has("timedOut") ? new Outcome.TimedOut()
                    : new Outcome.Failed(o.path("error").asString()));
        }
        return outcomes;
    }

    private static long toLong(String ipv4) {
        long value = 0;
        for (String part : ipv4.split("\\.")) {
            value = (value << 8) | Integer.parseInt(part);
        }
        return value;
    }
}
