package io.sluice.lab;

import io.sluice.lab.LabState.NodeState;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sluice lab up}: checks the machine, plans the manifests, sweeps an earlier lab of the same name, builds
 * nodes and pods, hands the lab to its supervisor (which starts the agents), waits for the agents' health, then
 * shows the services, live traffic and policy verdicts. A failure while building removes what was built.
 */
final class LabUp {
    static final String SUPERVISOR_MAIN = "io.sluice.lab.LabMain";

    /** What {@code up} was asked for. */
    record Request(Path manifests, int nodes, Duration watch, List<String> agentCommand, Duration agentTimeout,
                   Duration probeTimeout) {
    }

    private final LabLayout layout;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean ansi;

    LabUp(LabLayout layout, PrintWriter out, PrintWriter err, boolean ansi) {
        this.layout = layout;
        this.out = out;
        this.err = err;
        this.ansi = ansi;
    }

    /**
     * Brings the lab up; returns the exit code (0 up, 1 failed, 2 bad manifests or options). The manifests are
     * checked first, so their problems show on any machine.
     */
    int run(Request request) {
        Path manifests = request.manifests().toAbsolutePath().normalize();
        LabPlan plan;
        try {
            plan = LabPlanner.plan(layout.name(), ManifestSet.read(manifests), request.nodes(), Assignments.none());
        } catch (LabInputException e) {
            err.println("sluice lab up: the manifests in " + manifests + " have problems; fix them and run again:");
            e.problems().forEach(p -> err.println("  " + p));
            err.flush();
            return 2;
        }
        plan.warnings().forEach(w -> err.println("warning: " + w));
        err.flush();
        List<String> missing = LabRequirements.missing();
        if (!missing.isEmpty()) {
            err.println("sluice lab up cannot run on this machine; missing:");
            missing.forEach(m -> err.println("  - " + m));
            err.flush();
            return 1;
        }

        boolean previous = Files.exists(layout.stateFile()) || Files.exists(layout.runDir());
        Progress progress = new Progress(out, ansi, previous ? 5 : 4);
        out.println("Lab " + layout.name() + ": " + request.nodes() + " nodes, " + plan.pods().size() + " pods, "
                + plan.services().size() + " services from " + manifests);
        if (previous) {
            progress.step("removing the previous lab " + layout.name());
            LabSweeper.Report report = LabSweeper.sweep(layout, progress::detail);
            if (!report.failures().isEmpty()) {
                progress.fail();
                err.println("sluice lab up: could not remove the previous lab:");
                report.failures().forEach(f -> err.println("  " + f));
                err.println("Remove these by hand, then run sluice lab up again.");
                err.flush();
                return 1;
            }
        }
        LabController controller = new LabController(layout, progress::detail);
        LabState state;
        try {
            progress.step("creating " + request.nodes() + " nodes on one segment (fabric " + LabPlanner.fabricNamespace(layout.name()) + ")");
            installHelper();
            List<NodeState> nodes = plan.nodes().stream().map(n -> new NodeState(n, null, 0)).toList();
            state = controller.save(new LabState(LabState.VERSION, layout.name(), manifests.toString(),
                    request.agentCommand(), null, nodes, List.of(), List.of(), plan.assignments(), List.of(),
                    plan.warnings()));
            controller.createNodes(state);
            progress.step("creating " + plan.pods().size() + " pods and their responders");
            state = controller.applyPlan(state, plan);
            progress.step("starting the supervisor and one agent per node");
            state = startSupervisor(controller);
        } catch (RuntimeException e) {
            progress.fail();
            err.println("sluice lab up failed: " + e.getMessage());
            err.println("Removing what was built ...");
            err.flush();
            LabSweeper.Report report = LabSweeper.sweep(layout, s -> { });
            report.failures().forEach(f -> err.println("  could not remove " + f));
            err.println(report.failures().isEmpty() ? "Removed. Fix the cause above and run sluice lab up again."
                    : "Run sluice lab down to retry the removal.");
            err.flush();
            return 1;
        }
        progress.step("waiting until every agent is ready (/readyz, up to " + request.agentTimeout().toSeconds() + " s)");
        List<String> unhealthy = awaitAgents(request.agentTimeout(), progress);
        progress.finish();
        for (String problem : unhealthy) {
            err.println("warning: " + problem);
        }
        err.flush();
        state = new LabStateFile(layout.stateFile()).read().orElse(state);
        boolean probed = new LabView(layout, out, ansi).show(state, request.watch(), request.probeTimeout());
        out.println();
        out.println("The lab keeps running. Next: sluice lab status | sluice lab probe | sluice lab exec x/a -- ... "
                + "| sluice lab down" + (layout.name().equals(LabLayout.DEFAULT_NAME) ? "" : " (with --name " + layout.name() + ")"));
        out.println("Edit files in " + manifests + " and the lab follows; logs in " + layout.logDir());
        out.flush();
        return probed ? 0 : 1;
    }

    private void installHelper() {
        try (InputStream in = LabUp.class.getResourceAsStream("lab-pod.py")) {
            if (in == null) {
                throw new IllegalStateException("lab-pod.py is missing from the sluice-lab jar");
            }
            Files.createDirectories(layout.runDir());
            Files.copy(in, layout.podHelper(), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + layout.podHelper(), e);
        }
    }

    /** The command line of the supervisor: this JVM's java and class path, in a session of its own. */
    List<String> supervisorCommand() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        String home = System.getProperty("sluice.home");
        if (home != null) {
            command.add("-Dsluice.home=" + home);
        }
        command.add("-cp");
        command.add(absoluteClassPath());
        command.add(SUPERVISOR_MAIN);
        command.addAll(List.of("supervise", "--name", layout.name()));
        return PodCommand.detached(command);
    }

    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private LabState startSupervisor(LabController controller) {
        Path log = layout.supervisorLog();
        LabController.mkdirs(log.getParent());
        Process process;
        try {
            process = new ProcessBuilder(supervisorCommand())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new LabOperationException("starting the supervisor: " + e.getMessage());
        }
        LabStateFile file = new LabStateFile(layout.stateFile());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            LabState state = file.read().orElseThrow(() -> new LabOperationException("the lab state vanished"));
            boolean agentsStarted = state.nodes().stream().allMatch(n -> n.agent() != null);
            if (state.supervisor() != null && state.supervisor().pid() == process.pid() && agentsStarted) {
                return state;
            }
            if (!process.isAlive()) {
                throw new LabOperationException("the supervisor exited (code " + process.exitValue() + "): "
                        + LabController.tail(LabController.readFrom(log, 0)) + " (log: " + log + ")");
            }
            if (System.nanoTime() - deadline > 0) {
                throw new LabOperationException("the supervisor did not start the agents within 30 s (log: " + log + ")");
            }
            LabController.sleep(100);
        }
    }

    /**
     * Waits until the supervisor reports every agent running: it answers /readyz (its maps reflect the manifests)
     * from inside its node. Returns a message per agent that does not.
     */
    private List<String> awaitAgents(Duration timeout, Progress progress) {
        LabStateFile file = new LabStateFile(layout.stateFile());
        long deadline = System.nanoTime() + timeout.toNanos();
        LabState state = file.read().orElseThrow();
        while (true) {
            long ready = state.nodes().stream().filter(n -> n.agent() != null && n.agent().running()).count();
            progress.detail(ready + "/" + state.nodes().size() + " ready");
            if (ready == state.nodes().size() || System.nanoTime() - deadline > 0) {
                break;
            }
            LabController.sleep(200);
            state = file.read().orElse(state);
        }
        List<String> problems = new ArrayList<>();
        for (NodeState node : state.nodes()) {
            if (node.agent() == null || !node.agent().running()) {
                Path log = layout.agentLog(node.node().name());
                problems.add("the agent of " + node.node().name() + " is not ready at " + node.node().readyUrl()
                        + " after " + timeout.toSeconds() + " s (restarts: " + node.agentRestarts() + "): "
                        + LabController.tail(LabController.readFrom(log, Math.max(0, LabController.size(log) - 4096)))
                        + ". The lab runs on and the supervisor keeps restarting it; see " + log);
            }
        }
        return problems;
    }
}
