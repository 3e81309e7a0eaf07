package io.sluice.labrun;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.labrun.RunningLab.Node;
import io.sluice.labrun.RunningLab.Outcome;
import io.sluice.labrun.RunningLab.Pod;
import io.sluice.labrun.RunningLab.Run;
import io.sluice.labrun.RunningLab.Service;
import io.sluice.labrun.RunningLab.Status;
import io.sluice.testnet.KernelTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * The README's first command with the real agents, one lab for every test here (bringing it up is the expensive
 * part): {@code bin/sluice lab up} brings up two nodes from a copy of the shipped manifests, every service frontend
 * answers the traffic generator, {@code probe -o json} gives the matrix, {@code sluice explain} on a node agrees with
 * what real connections meet, and {@code lab down} leaves no namespace behind. (The lab module's own tests run against
 * a stand-in agent.)
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LabWithAgentsTest {
    private static final String LAB = "lbt" + ProcessHandle.current().pid();
    /** A Service whose selector matches no pod: its frontends have no backends. Added while the lab runs. */
    private static final String NO_ENDPOINTS = """
            apiVersion: v1
            kind: Service
            metadata:
              name: nobody
              namespace: x
            spec:
              type: NodePort
              selector:
                app: nobody
              ports:
                - name: tcp
                  port: 80
                  protocol: TCP
                  targetPort: 80
                - name: udp
                  port: 81
                  protocol: UDP
                  targetPort: 81
            """;

    private final RunningLab lab = new RunningLab(LAB);
    private Path manifests;
    private Run up;

    @BeforeAll
    void upFromACopyOfTheShippedManifests() throws Exception {
        manifests = Files.createTempDirectory("sluice-lab-manifests-");
        try (Stream<Path> shipped = Files.list(RunningLab.ROOT.resolve("lab/manifests"))) {
            for (Path file : shipped.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                Files.copy(file, manifests.resolve(file.getFileName()));
            }
        }
        up = RunningLab.sluice(300, "lab", "up", "--name", LAB, "--manifests", manifests.toString(), "--nodes", "2", "--watch", "4");
    }

    @AfterAll
    void downLeavesNothing() throws Exception {
        try {
            Run down = RunningLab.sluice(120, "lab", "down", "--name", LAB);
            assertThat(down.exit()).as("lab down; output:%n%s", down.output()).isZero();
            assertThat(RunningLab.run(10, "ip", "netns", "list").output()).as("namespaces left").doesNotContain(LAB);
        } finally {
            deleteTree(manifests);
        }
    }

    @Test
    void theShippedLabServesEveryServiceWithRealAgents() {
        assertThat(up.exit()).as("lab up exit code; output:%n%s", up.output()).isZero();
        List<String> traffic = section(up.output(), "TRAFFIC");
        assertThat(traffic).as("traffic rows").hasSizeGreaterThanOrEqualTo(4);
        // The generator runs in x/a; y admits only namespace x on TCP 80, so y's port-81 Maglev service is
        // policed away; every other frontend is answered by a backend the policies let x/a reach.
        for (String row : traffic) {
            if (row.startsWith("y/maglev")) {
                assertThat(row).as("policed frontend").contains("timed out").doesNotContainPattern("\\s[xyz]/[abc] \\d+");
            } else {
                assertThat(row).as("a frontend that connections reached").containsPattern("\\s[xyz]/[abc] \\d+");
            }
        }
    }

    @Test
    void probeGivesTheMatrixThePoliciesAskFor() throws Exception {
        assertThat(up.exit()).as("lab up exit code; output:%n%s", up.output()).isZero();
        Run probe = RunningLab.sluice(120, "lab", "probe", "--name", LAB, "-o", "json");
        assertThat(probe.exit()).as("probe exit code; output:%n%s", probe.output()).isZero();
        assertThat(probe.output().strip()).isEqualTo(expectedMatrix());
    }

    /**
     * A NodePort answers on every node's address, not only on the client's own node: the connection from x/b to the
     * other node's address crosses the segment, is translated by that node's agent on its {@code eth0} and is answered
     * by a backend of x/web-nodeport (x/a admits x/b, x/b has no policy, so every backend may answer).
     */
    @Test
    void nodePortAnswersOnEveryNode() throws Exception {
        assertThat(up.exit()).as("lab up exit code; output:%n%s", up.output()).isZero();
        Status status = lab.status();
        Service nodePort = status.service("x/web-nodeport").orElseThrow();
        assertThat(status.nodes()).hasSizeGreaterThanOrEqualTo(2);
        List<String> targets = new ArrayList<>();
        for (Node node : status.nodes()) {
            for (int i = 0; i < 4; i++) {
                targets.add(target(nodePortOf(nodePort, node.address(), "TCP") + "/tcp"));
            }
        }
        List<Outcome> outcomes = lab.connectFrom("x/b", targets);
        for (int i = 0; i < targets.size(); i++) {
            assertThat(outcomes.get(i)).as("x/b > %s", targets.get(i)).isInstanceOf(Outcome.Answered.class);
            assertThat(nodePort.backendPods()).as("x/b > %s", targets.get(i))
                    .contains(((Outcome.Answered) outcomes.get(i)).by());
        }
    }

    /**
     * Invariant 3 of DESIGN.md in a lab, with the real agents: a steady stream of new connections from x/b (pod to pod
     * across the nodes through both nodes' policies, ClusterIP over TCP and UDP through x/b's node's socket hooks,
     * NodePort on the other node's {@code eth0}) sees no failure while x/b's node's agent and then the other node's
     * are SIGKILLed and restarted by the supervisor, from each kill until {@code lab status} reports the new agent
     * running (ready) and after. The responders are left alone.
     */
    @Test
    void sigkilledAgentsRestartWithoutAFailedConnection() throws Exception {
        assertThat(up.exit()).as("lab up exit code; output:%n%s", up.output()).isZero();
        Status status = lab.status();
        Service web = status.service("x/web").orElseThrow();
        Service nodePort = status.service("x/web-nodeport").orElseThrow();
        Node nodeOfXb = status.node(status.pod("x/b").node());
        Node otherNode = status.nodes().stream().filter(n -> !n.name().equals(nodeOfXb.name())).findFirst().orElseThrow();
        List<String> targets = List.of(
                target(addressOf(status, "x/a") + ":80/tcp"),
                target(addressOf(status, "x/a") + ":80/udp"),
                target(web.clusterIp() + ":80/tcp"),
                target(web.clusterIp() + ":81/udp"),
                target(nodePortOf(nodePort, otherNode.address(), "TCP") + "/tcp"));
        List<List<Outcome>> rounds;
        try (RunningLab.ConnectionStream stream = lab.connectRepeatedly("x/b", targets)) {
            stream.awaitRounds(10);
            for (Node node : List.of(nodeOfXb, otherNode)) {
                ProcessHandle.of(node.agentPid()).orElseThrow().destroyForcibly();
                awaitAgentRunningAgain(node);
                stream.awaitRounds(stream.roundsSoFar() + 10);
            }
            rounds = stream.stop();
        }
        List<String> failures = new ArrayList<>();
        for (int r = 0; r < rounds.size(); r++) {
            for (int t = 0; t < targets.size(); t++) {
                if (!(rounds.get(r).get(t) instanceof Outcome.Answered)) {
                    failures.add("round " + r + ", x/b > " + targets.get(t) + ": " + rounds.get(r).get(t));
                }
            }
        }
        System.out.printf("agent restarts in the lab: %d rounds of %d connections, %d failed%n", rounds.size(),
                targets.size(), failures.size());
        assertThat(failures).as("connections that failed while the agents restarted, of %d rounds", rounds.size()).isEmpty();
    }

    /** Waits until lab status reports another agent than the one {@code before} names running on that node. */
    private void awaitAgentRunningAgain(Node before) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Node now = lab.status().node(before.name());
            if (now.agentPid() != before.agentPid() && now.agentRunning()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("lab status does not report a new agent running on " + before.name()
                        + " 90 s after its agent was killed: " + now);
            }
            Thread.sleep(200);
        }
    }

    /**
     * For probes covering every kind of answer (pod to pod allowed and denied by policy, ClusterIP over TCP and UDP,
     * ClusterIP with affinity and with Maglev, NodePort, frontends without endpoints), {@code sluice explain} run on
     * the source pod's node, and on the backend's node when the packet leaves the first, gives the verdict that a real
     * connection from the pod then meets; and explain leaves the flow maps of every node it ran on as it found them.
     * Each probe's targets are chosen so that every backend of a service gives the same verdict (explain and the
     * connection each pick a backend).
     */
    @Test
    void explainAgreesWithRealTraffic() throws Exception {
        assertThat(up.exit()).as("lab up exit code; output:%n%s", up.output()).isZero();
        Path extra = manifests.resolve("90-no-endpoints.yaml");
        Files.writeString(extra, NO_ENDPOINTS);
        try {
            Status status = awaitService("x/nobody");
            Service web = status.service("x/web").orElseThrow();
            Service nodePort = status.service("x/web-nodeport").orElseThrow();
            Service sticky = status.service("y/sticky").orElseThrow();
            Service maglev = status.service("y/maglev").orElseThrow();
            Service nobody = status.service("x/nobody").orElseThrow();
            String nodeOfXb = status.node(status.pod("x/b").node()).address();
            String nodeOfXc = status.node(status.pod("x/c").node()).address();
            awaitFrontendsProgrammed(status, nobody);

            record Probe(String why, String from, String destination, Service service, String pod, String verdict) {
            }
            List<Probe> probes = List.of(
                    new Probe("pod to pod, admitted by x/a's policy", "x/b", addressOf(status, "x/a") + ":80/tcp", null, "x/a", "delivered"),
                    new Probe("pod to pod, no policy on x/c", "z/a", addressOf(status, "x/c") + ":81/udp", null, "x/c", "delivered"),
                    new Probe("pod to pod, x/a admits only x/b", "x/c", addressOf(status, "x/a") + ":80/tcp", null, null, "dropped"),
                    new Probe("pod to pod, z denies all ingress", "x/a", addressOf(status, "z/b") + ":80/udp", null, null, "dropped"),
                    new Probe("pod to pod, y admits x on TCP 80 only", "x/a", addressOf(status, "y/b") + ":81/tcp", null, null, "dropped"),
                    new Probe("ClusterIP over TCP, every backend admits x/b", "x/b", web.clusterIp() + ":80/tcp", web, null, "delivered"),
                    new Probe("ClusterIP over UDP, every backend admits x/b", "x/b", web.clusterIp() + ":81/udp", web, null, "delivered"),
                    new Probe("ClusterIP with ClientIP affinity, y admits x on TCP 80", "x/a", sticky.clusterIp() + ":80/tcp", sticky, null, "delivered"),
                    new Probe("Maglev ClusterIP whose backends all refuse x on 81", "x/a", maglev.clusterIp() + ":81/tcp", maglev, null, "dropped"),
                    new Probe("NodePort on the source's node", "x/b", nodeOfXb + ":30080/tcp", nodePort, null, "delivered"),
                    new Probe("ClusterIP without endpoints, TCP", "x/a", nobody.clusterIp() + ":80/tcp", nobody, null, "refused"),
                    new Probe("ClusterIP without endpoints, UDP", "x/a", nobody.clusterIp() + ":81/udp", nobody, null, "refused"),
                    new Probe("NodePort without endpoints on the source's node", "x/c",
                            nodePortOf(nobody, nodeOfXc, "TCP") + "/tcp", nobody, null, "refused"));

            // Explain every probe first, with no real traffic in between, checking that it leaves no trace.
            Map<Probe, Explained> explained = new LinkedHashMap<>();
            for (Probe probe : probes) {
                explained.put(probe, explainFollowingThePacket(status, status.pod(probe.from()), probe.destination()));
            }
            // Then the real connections, every probe of one source pod at once.
            Map<Probe, Outcome> real = new LinkedHashMap<>();
            Map<String, List<Probe>> bySource = new LinkedHashMap<>();
            probes.forEach(p -> bySource.computeIfAbsent(p.from(), k -> new ArrayList<>()).add(p));
            for (Map.Entry<String, List<Probe>> e : bySource.entrySet()) {
                List<Outcome> outcomes = lab.connectFrom(e.getKey(), e.getValue().stream().map(p -> target(p.destination())).toList());
                for (int i = 0; i < outcomes.size(); i++) {
                    real.put(e.getValue().get(i), outcomes.get(i));
                }
            }

            for (Probe probe : probes) {
                Explained e = explained.get(probe);
                Outcome outcome = real.get(probe);
                String description = probe.from() + " > " + probe.destination() + " (" + probe.why() + "): explain said "
                        + e.verdict() + " on " + e.nodes() + " (" + e.reason() + "); the connection met " + outcome;
                System.out.println("explain in the lab: " + description);
                assertThat(e.verdict()).as(description).isEqualTo(probe.verdict());
                switch (e.verdict()) {
                    case "delivered" -> {
                        assertThat(outcome).as(description).isInstanceOf(Outcome.Answered.class);
                        String by = ((Outcome.Answered) outcome).by();
                        if (probe.service() == null) {
                            assertThat(by).as(description).isEqualTo(probe.pod());
                        } else {
                            assertThat(probe.service().backendPods()).as(description).contains(by);
                            assertThat(probe.service().backendAddresses()).as("explain's backend: " + description)
                                    .contains(e.backendAddress());
                        }
                    }
                    case "dropped" -> assertThat(outcome).as(description).isInstanceOf(Outcome.TimedOut.class);
                    case "refused" -> assertThat(outcome).as(description).isInstanceOf(Outcome.Refused.class);
                    default -> throw new AssertionError("unexpected verdict: " + description);
                }
            }
            Set<String> verdicts = new TreeSet<>();
            explained.values().forEach(e -> verdicts.add(e.verdict()));
            assertThat(verdicts).as("the probes cover every verdict").containsExactly("delivered", "dropped", "refused");
            assertThat(explained.values()).as("some probes follow the packet to a second node")
                    .anySatisfy(e -> assertThat(e.nodes()).hasSize(2));
        } finally {
            Files.deleteIfExists(extra);
        }
    }

    /** Explain's answer after following the packet: the verdict, where it was decided and the backend it chose. */
    private record Explained(String verdict, String reason, List<String> nodes, String backendAddress) {
    }

    /**
     * Runs explain on the source's node; when it says the packet leaves the node, runs it again on the node whose
     * pod CIDR holds the translated destination, as an operator would follow it. Every run must leave the node's
     * flow maps as they were.
     */
    private Explained explainFollowingThePacket(Status status, Pod source, String destination) throws Exception {
        Node first = status.node(source.node());
        JsonNode e = explainLeavingNoTrace(first, source.address(), destination);
        String backend = e.path("backend").isObject() ? e.path("backend").path("address").asString() : null;
        if (!e.path("verdict").asString().equals("leaves-node")) {
            return new Explained(e.path("verdict").asString(), e.path("reason").asString(), List.of(first.name()), backend);
        }
        JsonNode out = e.path("stages").get(e.path("stages").size() - 1).path("output");
        String next = out.path("destination").asString();
        Optional<Node> owner = status.nodeOwning(next);
        assertThat(owner).as("explain on %s: %s leaves the node for %s; a node's pod CIDR must hold it", first.name(),
                destination, next).isPresent();
        assertThat(owner.get().name()).as("the packet leaves %s for another node", first.name()).isNotEqualTo(first.name());
        String protocol = destination.substring(destination.indexOf('/') + 1);
        JsonNode second = explainLeavingNoTrace(owner.get(), source.address(),
                next + ":" + out.path("destinationPort").asInt() + "/" + protocol);
        return new Explained(second.path("verdict").asString(), second.path("reason").asString(),
                List.of(first.name(), owner.get().name()), backend);
    }

    private static JsonNode explainLeavingNoTrace(Node node, String source, String destination) {
        RunningLab.FlowMaps before = RunningLab.flowMaps(node);
        JsonNode e = RunningLab.explain(node, source, destination);
        assertThat(RunningLab.flowMaps(node)).as("explain %s %s on %s leaves the flow maps as they were", source, destination,
                node.name()).isEqualTo(before);
        return e;
    }

    /** Waits until lab status lists the service with its frontends (the supervisor applied the manifest change). */
    private Status awaitService(String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Status status = lab.status();
            if (status.service(name).map(s -> !s.frontends().isEmpty()).orElse(false)) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("lab status does not list " + name + " 60 s after its manifest was written");
            }
            Thread.sleep(500);
        }
    }

    /** Waits until every node's agent has the service's cluster IP frontends in its pinned services map. */
    private static void awaitFrontendsProgrammed(Status status, Service service) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (Node node : status.nodes()) {
            while (!hasFrontend(node, service.clusterIp())) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(node.name() + "'s agent has not programmed " + service.name() + " in 60 s");
                }
                Thread.sleep(200);
            }
        }
    }

    private static boolean hasFrontend(Node node, String address) {
        try (io.sluice.agent.cli.PinnedMaps maps = new io.sluice.agent.cli.PinnedMaps(node.bpffsDir())) {
            return maps.services().keys().stream().anyMatch(k -> k.address().toString().equals(address));
        }
    }

    private static String addressOf(Status status, String pod) {
        return status.pod(pod).address();
    }

    /** The service's node port frontend on {@code nodeAddress} for {@code protocol}, as {@code address:port}. */
    private static String nodePortOf(Service service, String nodeAddress, String protocol) {
        return service.frontends().stream().filter(f -> f.startsWith(nodeAddress + ":") && f.endsWith("/" + protocol))
                .map(f -> f.substring(0, f.indexOf('/'))).min(Comparator.naturalOrder())
                .orElseThrow(() -> new AssertionError(service.name() + " has no node port on " + nodeAddress + ": " + service.frontends()));
    }

    /** {@code 1.2.3.4:80/tcp} as the client's target {@code TCP/1.2.3.4/80}. */
    private static String target(String destination) {
        String protocol = destination.substring(destination.indexOf('/') + 1).toUpperCase(java.util.Locale.ROOT);
        String hostPort = destination.substring(0, destination.indexOf('/'));
        return protocol + "/" + hostPort.replace(':', '/');
    }

    /**
     * The reachability lab/manifests/30-networkpolicies.yaml asks for: nothing reaches z; y admits only namespace x on
     * TCP 80; x/a admits only x/b; a pod always reaches itself (loopback never meets a policy). In probe's JSON form.
     */
    private static String expectedMatrix() {
        List<String> pods = List.of("x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c");
        StringBuilder json = new StringBuilder("{");
        List<String> ports = List.of("TCP/80", "TCP/81", "UDP/80", "UDP/81");
        for (int p = 0; p < ports.size(); p++) {
            String port = ports.get(p);
            json.append(p == 0 ? "" : ", ").append('"').append(port).append("\": {");
            for (int f = 0; f < pods.size(); f++) {
                String from = pods.get(f);
                json.append(f == 0 ? "" : ", ").append('"').append(from).append("\": {");
                for (int t = 0; t < pods.size(); t++) {
                    String to = pods.get(t);
                    boolean reached = from.equals(to)
                            || (to.startsWith("y/") ? from.startsWith("x/") && port.equals("TCP/80")
                            : to.startsWith("z/") ? false
                            : !to.equals("x/a") || from.equals("x/b"));
                    json.append(t == 0 ? "" : ", ").append('"').append(to).append("\": ").append(reached);
                }
                json.append('}');
            }
            json.append('}');
        }
        return json.append('}').toString();
    }

    /** The table rows under a heading of lab up's view, up to the next blank line (header skipped). */
    private static List<String> section(String output, String heading) {
        List<String> rows = new ArrayList<>();
        boolean in = false;
        boolean header = false;
        for (String line : output.split("\n")) {
            if (line.startsWith(heading)) {
                in = true;
                header = true;
            } else if (in && line.isBlank()) {
                break;
            } else if (in && header) {
                header = false;
            } else if (in) {
                rows.add(line);
            }
        }
        return rows;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
