package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.lab.LabState.NodeState;
import io.sluice.lab.LabState.PodState;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * One real lab of two nodes, driven through the {@code sluice lab} commands: what the lab itself guarantees
 * (pods, addresses, routes between nodes, responders, probe, status, exec, supervision, manifest changes, sweeping
 * and removal). The agents are a stand-in ({@code agent-double.py}) that records how the lab ran it: the real
 * agent is built after this module.
 */
@LabKernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabLifecycleTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: %s
              namespace: x
              labels:
                app: web
            spec:
              %s
              containers:
                - name: c
                  image: registry.k8s.io/e2e-test-images/agnhost:2.47
                  ports:
                    - name: http
                      containerPort: 80
                    - containerPort: 80
                      protocol: UDP
            %s
            """;

    private final String name = LabKernelTestExtension.testLabName();
    private final LabLayout layout = LabLayout.of(name);
    private Path manifests;

    /** What one {@code sluice lab} invocation printed and returned. */
    record Run(int code, String out, String err) {
    }

    private Run lab(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LabCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static String pod(String podName, String specLine, String statusBlock) {
        return POD.formatted(podName, specLine, statusBlock);
    }

    @BeforeAll
    void up() throws IOException, URISyntaxException {
        manifests = Files.createTempDirectory("sluice-lab-test");
        Files.writeString(manifests.resolve("pods.yaml"), String.join("---\n",
                pod("a", "nodeName: lab-1", ""),
                pod("b", "nodeName: lab-2", ""),
                pod("c", "hostname: c", "status:\n  podIP: 198.19.2.9")));
        Files.writeString(manifests.resolve("service.yaml"), """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: x
                spec:
                  selector:
                    app: web
                  ports:
                    - port: 80
                      targetPort: http
                """);
        Run run = lab("up", "--name", name, "--manifests", manifests.toString(), "--nodes", "2", "--watch", "0",
                "--agent-command", agentDouble(), "--agent-timeout", "60");
        assertThat(run.code()).as("up failed:\n%s\n%s", run.out(), run.err()).isZero();
    }

    private static String agentDouble() throws URISyntaxException {
        Path script = Path.of(LabLifecycleTest.class.getResource("agent-double.py").toURI());
        return PodCommand.PYTHON + " " + script + " agent";
    }

    @AfterAll
    void downAnyway() throws IOException {
        lab("down", "--name", name);
        try (var files = Files.walk(manifests)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private LabState state() {
        return new LabStateFile(layout.stateFile()).read().orElseThrow();
    }

    private LabState awaitState(String what, Predicate<LabState> condition) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        LabState state = state();
        while (!condition.test(state)) {
            assertThat(System.nanoTime() - deadline).as("waiting for " + what + "; state: " + state).isNegative();
            LabController.sleep(200);
            state = state();
        }
        return state;
    }

    @Test
    @Order(1)
    void statusJsonListsNodesAndPodsWithWhereToFindThem() {
        Run run = lab("status", "--name", name, "-o", "json");
        assertThat(run.code()).isZero();
        JsonNode status = LabStateFile.JSON.readTree(run.out());
        JsonNode nodes = status.get("nodes");
        assertThat(nodes).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode node = nodes.get(i);
            String nodeName = "lab-" + (i + 1);
            assertThat(node.get("name").asString()).isEqualTo(nodeName);
            assertThat(node.get("networkNamespace").asString()).isEqualTo(name + "-" + nodeName);
            assertThat(node.get("address").asString()).isEqualTo("198.19.0." + (i + 1));
            assertThat(node.get("metricsUrl").asString()).isEqualTo("http://198.19.0." + (i + 1) + ":9964/metrics");
            assertThat(ProcessHandle.of(node.get("agentPid").asLong())).isPresent();
            assertThat(node.get("agentRunning").asBoolean()).isTrue();
        }
        JsonNode pods = status.get("pods");
        assertThat(pods).hasSize(3);
        assertThat(pods.get(0).get("name").asString()).isEqualTo("x/a");
        assertThat(pods.get(0).get("node").asString()).isEqualTo("lab-1");
        assertThat(pods.get(0).get("address").asString()).startsWith("198.19.1.");
        assertThat(pods.get(0).get("networkNamespace").asString()).isEqualTo(name + "-x-a");
        assertThat(pods.get(1).get("node").asString()).isEqualTo("lab-2");
        assertThat(pods.get(2).get("address").asString()).isEqualTo("198.19.2.9");
        assertThat(pods.get(2).get("node").asString()).as("placed by its podIP").isEqualTo("lab-2");
        assertThat(status.get("services").get(0).get("clusterIP").asString()).startsWith("198.19.24");
    }

    @Test
    @Order(2)
    void agentsRunConfinedToTheirNodeWithTheLabsFlags() throws IOException {
        for (NodeState node : state().nodes()) {
            String nodeName = node.node().name();
            JsonNode record = LabStateFile.JSON.readTree(
                    Files.readString(layout.agentStateDir(nodeName).resolve("agent-double.json")));
            List<String> argv = new ArrayList<>();
            record.get("argv").forEach(a -> argv.add(a.asString()));
            assertThat(String.join(" ", argv)).contains(
                    "--node-name " + nodeName,
                    "--manifests " + layout.nodeManifests(nodeName),
                    "--state-dir " + layout.agentStateDir(nodeName),
                    "--bpffs-dir " + layout.nodePinDir(nodeName),
                    "--socket-cgroup " + layout.nodeCgroup(nodeName),
                    "--metrics-address " + node.node().address() + ":9964",
                    "--node-addresses " + node.node().address(),
                    "--external-interfaces eth0");
            assertThat(record.get("cgroup").asString().strip()).endsWith("/" + name + "/" + nodeName);
            assertThat(netnsOf(node.agent().pid())).isEqualTo(Files.readAttributes(
                    LabLayout.netnsFile(node.node().networkNamespace()), "unix:ino").get("ino"));
            assertThat(record.get("manifestFiles").toString()).contains("pods.yaml", "endpointslices.yaml");
        }
    }

    private static Object netnsOf(long pid) throws IOException {
        return Files.readAttributes(Path.of("/proc/" + pid + "/ns/net"), "unix:ino").get("ino");
    }

    @Test
    @Order(3)
    void nodeManifestsCarryPodAddressesAndDerivedSlices() {
        ManifestSet generated = ManifestSet.read(layout.nodeManifests("lab-1"));
        assertThat(generated.pods()).extracting(p -> p.getStatus().getPodIP())
                .containsExactlyInAnyOrderElementsOf(state().pods().stream().map(p -> p.pod().address()).toList());
        Pod c = generated.pods().stream().filter(p -> p.getMetadata().getName().equals("c")).findFirst().orElseThrow();
        assertThat(c.getSpec().getNodeName()).isEqualTo("lab-2");
        assertThat(c.getStatus().getHostIP()).isEqualTo("198.19.0.2");
        EndpointSlice slice = generated.endpointSlices().getFirst();
        assertThat(slice.getMetadata().getLabels()).containsEntry("kubernetes.io/service-name", "web");
        assertThat(slice.getEndpoints()).hasSize(3);
        assertThat(slice.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort()).isEqualTo(80));
        assertThat(generated.namespaces()).singleElement()
                .satisfies(ns -> assertThat(ns.getMetadata().getLabels()).containsEntry("kubernetes.io/metadata.name", "x"));
    }

    private String expectedAllReached(List<String> pods) {
        StringBuilder json = new StringBuilder("{");
        String[] ports = {"TCP/80", "UDP/80"};
        for (int p = 0; p < ports.length; p++) {
            json.append(p == 0 ? "" : ", ").append('"').append(ports[p]).append("\": {");
            for (int f = 0; f < pods.size(); f++) {
                json.append(f == 0 ? "" : ", ").append('"').append(pods.get(f)).append("\": {");
                for (int t = 0; t < pods.size(); t++) {
                    json.append(t == 0 ? "" : ", ").append('"').append(pods.get(t)).append("\": true");
                }
                json.append('}');
            }
            json.append('}');
        }
        return json.append("}\n").toString();
    }

    @Test
    @Order(4)
    void everyPodReachesEveryPodAcrossNodes() {
        Run json = lab("probe", "--name", name, "-o", "json");
        assertThat(json.code()).as(json.err()).isZero();
        assertThat(json.out()).isEqualTo(expectedAllReached(List.of("x/a", "x/b", "x/c")));

        Run text = lab("probe", "--name", name);
        assertThat(text.code()).isZero();
        assertThat(text.out().lines().toList()).startsWith(
                "TCP/80", "-\tx/a\tx/b\tx/c", "x/a\t.\t.\t.", "x/b\t.\t.\t.", "x/c\t.\t.\t.", "", "UDP/80");
    }

    @Test
    @Order(5)
    void respondersAnswerTheirNameOverTcpAndUdp() {
        String script = """
                import socket
                t = socket.create_connection(("198.19.2.9", 80), timeout=2)
                print(repr(t.recv(100)))
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.settimeout(2)
                u.sendto(b"hello", ("198.19.2.9", 80))
                print(repr(u.recvfrom(100)[0]))
                """;
        Run run = lab("exec", "--name", name, "x/a", "--", PodCommand.PYTHON, "-c", script);
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out().lines().toList()).containsExactly("b'x/c\\n'", "b'x/c\\n'");
    }

    @Test
    @Order(6)
    void execRunsInThePodAndItsNodesCgroupAndReturnsTheExitCode() {
        LabPod b = state().pod("x/b").orElseThrow().pod();
        Run run = lab("exec", "--name", name, "x/b", "--", "sh", "-c",
                "cat /proc/self/cgroup; ip -4 -o addr show dev eth0; exit 7");
        assertThat(run.code()).isEqualTo(7);
        assertThat(run.out()).contains("/" + name + "/lab-2", b.address() + "/32");

        Run missing = lab("exec", "--name", name, "x/zz", "--", "true");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("no pod x/zz", "x/a, x/b, x/c");
    }

    /**
     * A client in a lab pod that connects when told, as {@code lab probe} does (the pod helper's own attempt): each
     * {@link #attempt} tries every {@code PROTO/ADDRESS/PORT} target once and returns what each answered, or
     * {@code !} and the error. One process for all attempts, so that an attempt starts within a millisecond.
     */
    private final class PodClient implements AutoCloseable {
        private static final String SCRIPT = """
                import importlib.util, sys
                spec = importlib.util.spec_from_file_location("lab_pod", sys.argv[1])
                pod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(pod)
                for line in sys.stdin:
                    answers = []
                    for target in line.split():
                        try:
                            answers.append(pod.attempt(pod.parse_target(target), 1.0))
                        except OSError as e:
                            answers.append("!" + (str(e) or e.__class__.__name__))
                    print("\t".join(answers), flush=True)
                """;
        private final Process process;
        private final PrintWriter in;
        private final java.io.BufferedReader out;

        PodClient(String podKey) throws IOException {
            LabPod pod = state().pod(podKey).orElseThrow().pod();
            process = new ProcessBuilder(PodCommand.inNamespace(pod.networkNamespace(), layout.nodeCgroup(pod.node()),
                    List.of(PodCommand.PYTHON, "-c", SCRIPT, layout.podHelper().toString())))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new PrintWriter(process.getOutputStream(), true, java.nio.charset.StandardCharsets.US_ASCII);
            out = process.inputReader(java.nio.charset.StandardCharsets.US_ASCII);
        }

        List<String> attempt(List<String> targets) throws IOException {
            in.println(String.join(" ", targets));
            String line = out.readLine();
            assertThat(line).as("the client in the pod answered").isNotNull();
            return List.of(line.split("\t", -1));
        }

        @Override
        public void close() throws InterruptedException {
            in.close();
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Every port of {@code pods} as the client's targets. */
    private List<String> targets(String... pods) {
        List<String> targets = new ArrayList<>();
        for (String key : pods) {
            LabPod pod = state().pod(key).orElseThrow().pod();
            pod.ports().forEach(p -> targets.add(p.protocol() + "/" + pod.address() + "/" + p.port()));
        }
        return targets;
    }

    /** {@code lab status -o json}, polled every 2 ms until {@code condition}: a user's status before a probe. */
    private JsonNode awaitStatus(String what, Predicate<JsonNode> condition) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            Run run = lab("status", "--name", name, "-o", "json");
            assertThat(run.code()).as(run.err()).isZero();
            JsonNode status = LabStateFile.JSON.readTree(run.out());
            if (condition.test(status)) {
                return status;
            }
            assertThat(System.nanoTime() - deadline).as("waiting for " + what + "; status: " + status).isNegative();
            LabController.sleep(2);
        }
    }

    private static JsonNode podStatus(JsonNode status, String key) {
        for (JsonNode pod : status.get("pods")) {
            if (pod.get("name").asString().equals(key)) {
                return pod;
            }
        }
        throw new AssertionError("lab status lists no pod " + key + ": " + status);
    }

    /**
     * Issue 4's restart property, for what the lab does: while the supervisor restarts a node's SIGKILLed agent, the
     * node's pods keep reaching pods on both nodes, every attempt from the kill until {@code status} reports the new
     * agent running and after. (The stand-in agent programs nothing; the real agents' restart in a lab is
     * LabWithAgentsTest's.)
     */
    @Test
    @Order(7)
    void podsReachEveryPodWhileTheSupervisorRestartsAKilledAgent() throws Exception {
        NodeState node = state().nodes().get(1);
        List<String> targets = targets("x/a", "x/c");
        List<String> failures = new ArrayList<>();
        int attempts = 0;
        try (PodClient client = new PodClient("x/b")) {
            assertThat(client.attempt(targets)).as("before the kill").containsExactly("x/a", "x/a", "x/c", "x/c");
            node.agent().handle().orElseThrow().destroyForcibly();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            int afterRestart = 0;
            while (afterRestart < 20) {
                List<String> answers = client.attempt(targets);
                attempts++;
                if (!answers.equals(List.of("x/a", "x/a", "x/c", "x/c"))) {
                    failures.add(answers.toString());
                }
                JsonNode agent = LabStateFile.JSON.readTree(lab("status", "--name", name, "-o", "json").out()).get("nodes").get(1);
                if (agent.get("agentPid").asLong() != node.agent().pid() && agent.get("agentRunning").asBoolean()) {
                    afterRestart++;
                }
                assertThat(System.nanoTime() - deadline).as("waiting for the agent of lab-2 to run again").isNegative();
            }
        }
        assertThat(failures).as("attempts from x/b that failed during the agent's restart, of " + attempts).isEmpty();
        assertThat(state().nodes().get(1).agentRestarts()).isEqualTo(1);
    }

    /**
     * The supervisor restarts a SIGKILLed responder, and {@code status} reports it running only once it answers: a
     * connection made the moment {@code status} says so is answered, over TCP and UDP, from another node.
     */
    @Test
    @Order(8)
    void aRestartedResponderIsReportedRunningOnlyOnceItAnswers() throws Exception {
        ProcessRecord killed = state().pod("x/a").orElseThrow().responder();
        List<String> targets = targets("x/a");
        try (PodClient client = new PodClient("x/b")) {
            assertThat(client.attempt(targets)).as("before the kill").containsExactly("x/a", "x/a");
            killed.handle().orElseThrow().destroyForcibly();
            awaitStatus("a new responder of x/a reported running", s -> podStatus(s, "x/a").get("responderPid").asLong()
                    != killed.pid() && podStatus(s, "x/a").get("responderRunning").asBoolean());
            assertThat(client.attempt(targets)).as("right after status reported it running").containsExactly("x/a", "x/a");
        }
        assertThat(state().pod("x/a").orElseThrow().restarts()).isEqualTo(1);
        Run probe = lab("probe", "--name", name, "-o", "json");
        assertThat(probe.out()).isEqualTo(expectedAllReached(List.of("x/a", "x/b", "x/c")));
    }

    @Test
    @Order(9)
    void manifestChangesApplyAndBadOnesAreRefusedKeepingTheLab() throws IOException {
        Path added = manifests.resolve("d.yaml");
        Files.writeString(added, pod("d", "nodeName: lab-1", ""));
        LabState withD = awaitState("pod x/d backing x/web", s -> s.services().getFirst().backends().stream()
                .anyMatch(b -> "x/d".equals(b.pod())));
        assertThat(withD.pod("x/d").orElseThrow().responder().alive()).isTrue();
        Run probe = lab("probe", "--name", name, "-o", "json");
        assertThat(probe.out()).isEqualTo(expectedAllReached(List.of("x/a", "x/b", "x/c", "x/d")));

        Path bad = manifests.resolve("e.yaml");
        Files.writeString(bad, pod("e", "nodeName: lab-9", ""));
        LabState refused = awaitState("the bad pod refused", s -> !s.problems().isEmpty());
        assertThat(refused.problems()).singleElement().asString().contains("Pod x/e", "spec.nodeName", "lab-9");
        assertThat(refused.pod("x/d")).isPresent();
        assertThat(lab("status", "--name", name).out()).contains("NOT applied", "spec.nodeName");

        Files.delete(bad);
        Files.delete(added);
        LabState back = awaitState("x/d removed", s -> s.problems().isEmpty() && s.pod("x/d").isEmpty());
        assertThat(back.pods()).hasSize(3);
        assertThat(LabNetwork.namespaceExists(withD.pod("x/d").orElseThrow().pod().networkNamespace())).isFalse();
    }

    @Test
    @Order(10)
    void upOverARunningLabSweepsItFirst() throws URISyntaxException {
        LabState before = state();
        List<ProcessRecord> old = processes(before);
        Run run = lab("up", "--name", name, "--manifests", manifests.toString(), "--nodes", "2", "--watch", "0",
                "--agent-command", agentDouble(), "--agent-timeout", "60");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("removing the previous lab " + name, "POLICY VERDICTS");
        assertThat(old).noneMatch(ProcessRecord::alive);
        assertThat(processes(state())).allMatch(ProcessRecord::alive);
    }

    private static List<ProcessRecord> processes(LabState state) {
        List<ProcessRecord> all = new ArrayList<>();
        all.add(state.supervisor());
        state.nodes().forEach(n -> all.add(n.agent()));
        state.pods().forEach(p -> all.add(p.responder()));
        return all;
    }

    @Test
    @Order(11)
    void downLeavesNothingBehindAndCanRunAgain() {
        LabState state = state();
        List<ProcessRecord> processes = processes(state);
        List<String> interfaces = state.pods().stream().map(p -> p.pod().hostInterface()).toList();

        Run down = lab("down", "--name", name);
        assertThat(down.code()).as(down.err()).isZero();

        assertThat(processes).noneMatch(ProcessRecord::alive);
        assertThat(HostCommand.run("ip", "netns", "list")).doesNotContain(name + "-");
        String links = HostCommand.run("ip", "-o", "link", "show");
        assertThat(interfaces).allSatisfy(i -> assertThat(links).doesNotContain(i));
        assertThat(layout.cgroupRoot()).doesNotExist();
        assertThat(layout.bpffsRoot()).doesNotExist();
        assertThat(layout.runDir()).doesNotExist();
        assertThat(layout.varDir()).doesNotExist();

        Run again = lab("down", "--name", name);
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("nothing to remove");
        assertThat(lab("status", "--name", name).code()).isEqualTo(1);
    }
}
