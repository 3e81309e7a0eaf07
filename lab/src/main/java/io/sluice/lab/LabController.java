package io.sluice.lab;

import io.sluice.lab.LabState.NodeState;
import io.sluice.lab.LabState.PodState;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Brings the kernel side of a lab to its state and plan: nodes (namespaces, links, routes, cgroups, bpffs folders),
 * pods (namespaces behind veths, responders) and the manifest directories the agents read; starts agents and
 * responders. Every part is recorded in the state file before it is created, so that {@code down} finds it even
 * after a crash half-way. Used by {@code up} and by the supervisor (one at a time: {@code up} hands over when it
 * starts the supervisor).
 */
final class LabController {
    static final Duration RESPONDER_READY_TIMEOUT = Duration.ofSeconds(15);

    private final LabLayout layout;
    private final LabStateFile stateFile;
    private final Consumer<String> progress;

    /**
     * Responders this controller started whose ready line it has not seen yet, by pod: {@link #awaitReady} gives up
     * after its timeout or at the first responder of a batch that exited, and the supervisor's next ticks look again.
     */
    private final Map<String, StartedResponder> notYetReady = new HashMap<>();

    LabController(LabLayout layout, Consumer<String> progress) {
        this.layout = layout;
        this.stateFile = new LabStateFile(layout.stateFile());
        this.progress = progress;
    }

    LabLayout layout() {
        return layout;
    }

    LabState save(LabState state) {
        stateFile.write(state);
        return state;
    }

    /** Creates the fabric and every node of {@code state}, with cgroups, bpffs folders and manifest directories. */
    void createNodes(LabState state) {
        List<LabNode> nodes = state.nodes().stream().map(NodeState::node).toList();
        LabNetwork.createFabric(LabPlanner.fabricNamespace(state.name()));
        for (LabNode node : nodes) {
            progress.accept("node " + node.name());
            LabNetwork.createNode(LabPlanner.fabricNamespace(state.name()), node);
            mkdirs(layout.nodeCgroup(node.name()));
            mkdirs(layout.nodePinDir(node.name()));
            mkdirs(layout.nodeManifests(node.name()));
            mkdirs(layout.agentStateDir(node.name()));
        }
        for (LabNode node : nodes) {
            LabNetwork.routeToPeers(node, nodes);
        }
    }

    /**
     * Makes the lab's pods those of {@code plan}: removes pods no longer planned or planned differently, creates
     * the new ones and starts their responders, then writes every node's manifests. Saves the state as it goes.
     *
     * @return the new state
     * @throws LabOperationException naming the pod and the step that failed
     */
    LabState applyPlan(LabState state, LabPlan plan) {
        Map<String, LabPod> desired = new LinkedHashMap<>();
        plan.pods().forEach(p -> desired.put(p.key(), p));
        Map<String, LabNode> nodes = state.nodes().stream().collect(Collectors.toMap(n -> n.node().name(), NodeState::node));

        List<PodState> kept = new ArrayList<>();
        for (PodState current : state.pods()) {
            LabPod wanted = desired.get(current.pod().key());
            if (current.pod().equals(wanted)) {
                kept.add(current);
                continue;
            }
            progress.accept("removing pod " + current.pod().key());
            removePod(current);
            state = save(state.withPods(without(state.pods(), current)));
        }
        List<LabPod> created = new ArrayList<>();
        for (LabPod pod : plan.pods()) {
            if (kept.stream().noneMatch(k -> k.pod().key().equals(pod.key()))) {
                created.add(pod);
            }
        }
        // Write-ahead: the new pods are in the state file before their namespaces exist.
        List<PodState> all = new ArrayList<>(state.pods());
        created.forEach(p -> all.add(new PodState(p, null, 0)));
        state = save(state.withPods(all));
        List<StartedResponder> started = new ArrayList<>();
        int n = 0;
        for (LabPod pod : created) {
            progress.accept("pod " + (++n) + "/" + created.size() + " " + pod.key() + " on " + pod.node() + " "
                    + pod.address());
            try {
                LabNetwork.createPod(nodes.get(pod.node()), pod);
            } catch (LabOperationException e) {
                throw new LabOperationException("creating pod " + pod.key() + ": " + e.getMessage(), e);
            }
            started.add(startResponder(pod));
        }
        state = save(withResponders(state, started, false));
        started.forEach(r -> notYetReady.put(r.pod().key(), r));
        awaitReady(started);
        state = save(recordReady(state).withPlan(plan));
        writeManifests(state, plan);
        return state;
    }

    /** Writes every node's manifest directory for {@code plan}; returns whether anything changed. */
    boolean writeManifests(LabState state, LabPlan plan) {
        boolean changed = false;
        for (NodeState node : state.nodes()) {
            changed |= NodeManifests.write(layout.nodeManifests(node.node().name()), plan.objects());
        }
        return changed;
    }

    /**
     * Records as serving the responders started earlier that said ready since, then restarts the responders that
     * exited, each recorded as serving once it listens (or on a later call, if it takes longer than
     * {@link #awaitReady} waits); returns the new state (saved when something changed).
     */
    LabState restartResponders(LabState state) {
        LabState checked = recordReady(state);
        if (checked != state) {
            state = save(checked);
        }
        List<StartedResponder> started = new ArrayList<>();
        for (PodState pod : state.pods()) {
            if ((pod.responder() == null || !pod.responder().alive()) && LabNetwork.namespaceExists(pod.pod().networkNamespace())) {
                started.add(startResponder(pod.pod()));
            }
        }
        if (started.isEmpty()) {
            return state;
        }
        state = save(withResponders(state, started, true));
        started.forEach(r -> notYetReady.put(r.pod().key(), r));
        try {
            awaitReady(started);
        } catch (LabOperationException e) {
            progress.accept(e.getMessage());
        }
        return save(recordReady(state));
    }

    /**
     * {@code state} with the responders of {@link #notYetReady} that said ready recorded as serving (the same
     * instance when none did); forgets those that did, exited or were replaced.
     */
    private LabState recordReady(LabState state) {
        List<StartedResponder> ready = new ArrayList<>();
        for (var it = notYetReady.values().iterator(); it.hasNext(); ) {
            StartedResponder r = it.next();
            boolean current = state.pods().stream().anyMatch(p -> r.process().equals(p.responder()));
            if (!current || !r.process().alive()) {
                it.remove();
            } else if (saidReady(r)) {
                ready.add(r);
                it.remove();
            }
        }
        return ready.isEmpty() ? state : serving(state, ready);
    }

    /** {@code state} with the responders of {@code ready} recorded as serving. */
    private static LabState serving(LabState state, List<StartedResponder> ready) {
        List<PodState> pods = new ArrayList<>();
        for (PodState p : state.pods()) {
            boolean isReady = ready.stream().anyMatch(r -> r.process().equals(p.responder()));
            pods.add(isReady ? p.withResponder(p.responder().asServing(), p.restarts()) : p);
        }
        return state.withPods(pods);
    }

    private LabState withResponders(LabState state, List<StartedResponder> started, boolean restart) {
        List<PodState> pods = new ArrayList<>();
        for (PodState p : state.pods()) {
            StartedResponder s = started.stream().filter(r -> r.pod().key().equals(p.pod().key())).findFirst().orElse(null);
            pods.add(s == null ? p : p.withResponder(s.process(), p.restarts() + (restart ? 1 : 0)));
        }
        return state.withPods(pods);
    }

    private static List<PodState> without(List<PodState> pods, PodState gone) {
        return pods.stream().filter(p -> !p.pod().key().equals(gone.pod().key())).toList();
    }

    /** Stops the pod's responder and deletes its namespace (its veth goes with it). */
    void removePod(PodState pod) {
        if (pod.responder() != null) {
            pod.responder().stop(Duration.ofSeconds(2));
        }
        LabNetwork.deleteNamespace(pod.pod().networkNamespace());
    }

    /** A responder just started and where its log continues. */
    record StartedResponder(LabPod pod, ProcessRecord process, Path log, long logOffset) {
    }

    StartedResponder startResponder(LabPod pod) {
        Path log = layout.podLog(pod.namespace(), pod.name());
        mkdirs(log.getParent());
        long offset = size(log);
        String tcp = ports(pod, "TCP");
        String udp = ports(pod, "UDP");
        List<String> command = PodCommand.detached(PodCommand.inNamespace(pod.networkNamespace(),
                layout.nodeCgroup(pod.node()),
                PodCommand.helper(layout, "respond", pod.key(), "--tcp", tcp, "--udp", udp)));
        Process process = start(command, log, "the responder of pod " + pod.key());
        return new StartedResponder(pod, ProcessRecord.justStarted(process.toHandle()), log, offset);
    }

    private static String ports(LabPod pod, String protocol) {
        return pod.ports().stream().filter(p -> p.protocol().equals(protocol)).map(p -> String.valueOf(p.port()))
                .collect(Collectors.joining(","));
    }

    /**
     * Waits until every responder said it listens.
     *
     * @throws LabOperationException naming a responder that exited or did not get ready, with its log's end
     */
    void awaitReady(List<StartedResponder> started) {
        long deadline = System.nanoTime() + RESPONDER_READY_TIMEOUT.toNanos();
        List<StartedResponder> waiting = new ArrayList<>(started);
        while (!waiting.isEmpty()) {
            for (var it = waiting.iterator(); it.hasNext(); ) {
                StartedResponder r = it.next();
                if (saidReady(r)) {
                    it.remove();
                } else if (!r.process().alive()) {
                    throw new LabOperationException("the responder of pod " + r.pod().key() + " exited: "
                            + tail(readFrom(r.log(), r.logOffset())) + " (log: " + r.log() + ")");
                }
            }
            if (!waiting.isEmpty()) {
                if (System.nanoTime() - deadline > 0) {
                    StartedResponder r = waiting.getFirst();
                    throw new LabOperationException("the responder of pod " + r.pod().key() + " is not listening after "
                            + RESPONDER_READY_TIMEOUT.toSeconds() + " s (log: " + r.log() + ")");
                }
                sleep(20);
            }
        }
    }

    /** Whether the responder wrote, since it started, that it listens on every port. */
    private static boolean saidReady(StartedResponder r) {
        return readFrom(r.log(), r.logOffset()).lines().anyMatch(l -> l.startsWith("ready "));
    }

    /** Whether {@code node}'s agent answers /readyz with 200 (its maps reflect the manifests), asked inside the node. */
    boolean agentAnswersReady(LabNode node) {
        List<String> command = PodCommand.inNamespace(node.networkNamespace(), null,
                PodCommand.helper(layout, "http", "--timeout", "1", node.readyUrl()));
        return HostCommand.attempt(command).succeeded();
    }

    /**
     * The agent command line for {@code node}: the lab's agent command, then the node's flags. The agent balances
     * sockets of the node's cgroup only (where the node's pods run), pins under the node's bpffs folder, serves its
     * metrics on the node's address and takes NodePort traffic on the node's {@code eth0}, as on a real node.
     */
    List<String> agentCommand(List<String> agentCommand, LabNode node) {
        List<String> line = new ArrayList<>(agentCommand);
        line.addAll(List.of(
                "--node-name", node.name(),
                "--manifests", layout.nodeManifests(node.name()).toString(),
                "--state-dir", layout.agentStateDir(node.name()).toString(),
                "--bpffs-dir", String.valueOf(layout.nodePinDir(node.name())),
                "--metrics-address", node.address() + ":" + AddressPlan.METRICS_PORT,
                "--socket-cgroup", String.valueOf(layout.nodeCgroup(node.name())),
                "--node-addresses", node.address(),
                "--external-interfaces", LabNetwork.NODE_INTERFACE));
        return line;
    }

    /** Starts {@code node}'s agent in the node's namespace and cgroup, its output appended to its log. */
    Process startAgent(List<String> agentCommand, LabNode node) {
        Path log = layout.agentLog(node.name());
        mkdirs(log.getParent());
        List<String> command = PodCommand.detached(PodCommand.inNamespace(node.networkNamespace(),
                layout.nodeCgroup(node.name()), agentCommand(agentCommand, node)));
        return start(command, log, "the agent of " + node.name());
    }

    private static Process start(List<String> command, Path log, String what) {
        try {
            return new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new LabOperationException("starting " + what + " (" + String.join(" ", command) + "): "
                    + e.getMessage() + "; bin/setup installs what the lab needs", e);
        }
    }

    static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** What {@code file} holds from {@code offset} on (empty when it does not exist). */
    static String readFrom(Path file, long offset) {
        if (!Files.exists(file)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            if (length <= offset) {
                return "";
            }
            byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
            f.seek(offset);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last few lines of {@code text}, on one line. */
    static String tail(String text) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        List<String> last = lines.subList(Math.max(0, lines.size() - 3), lines.size());
        return last.isEmpty() ? "(no output)" : String.join(" | ", last).strip();
    }

    static void mkdirs(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabOperationException("interrupted", e);
        }
    }
}
