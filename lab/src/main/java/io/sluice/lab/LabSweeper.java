package io.sluice.lab;

import io.sluice.lab.LabState.NodeState;
import io.sluice.lab.LabState.PodState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Removes a lab: its supervisor, agents and responders (by PID and start time from the state file), whatever else
 * runs in its namespaces or cgroups, its network namespaces (their interfaces go with them), its cgroups, its bpffs
 * folder (unpinning the agents' maps), the agents' state and the lab's run directory, the state file last. Works
 * from a half-built or crashed lab and is idempotent: removing what is already gone is not an error.
 */
final class LabSweeper {
    private static final Duration AGENT_GRACE = Duration.ofSeconds(15);

    /** What was removed, and what could not be (each naming the part and the reason). */
    record Report(List<String> removed, List<String> failures) {
    }

    private LabSweeper() {
    }

    /**
     * Removes the lab of {@code layout}.
     *
     * @throws IllegalStateException when the state file is unreadable (it lists what to remove)
     */
    static Report sweep(LabLayout layout, Consumer<String> progress) {
        LabStateFile file = new LabStateFile(layout.stateFile());
        LabState state = file.read().orElse(null);
        List<String> removed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        if (state != null) {
            // The supervisor first, or it would restart what is being stopped.
            if (state.supervisor() != null && state.supervisor().alive()) {
                progress.accept("stopping the supervisor (pid " + state.supervisor().pid() + ")");
                stop(state.supervisor(), Duration.ofSeconds(5), "supervisor", removed, failures);
                state = file.read().orElse(state);
            }
            // SIGTERM to all at once, then wait for each: agents stop cleanly (their pins stay valid until removed).
            progress.accept("stopping " + state.nodes().size() + " agents and " + state.pods().size() + " responders");
            state.nodes().stream().filter(n -> n.agent() != null).forEach(n -> n.agent().terminate());
            state.pods().stream().filter(p -> p.responder() != null).forEach(p -> p.responder().terminate());
            for (NodeState node : state.nodes()) {
                if (node.agent() != null) {
                    stop(node.agent(), AGENT_GRACE, "agent of " + node.node().name(), removed, failures);
                }
            }
            for (PodState pod : state.pods()) {
                if (pod.responder() != null) {
                    stop(pod.responder(), Duration.ofSeconds(2), "responder of " + pod.pod().key(), removed, failures);
                }
            }
            List<String> namespaces = new ArrayList<>();
            state.pods().forEach(p -> namespaces.add(p.pod().networkNamespace()));
            state.nodes().forEach(n -> namespaces.add(n.node().networkNamespace()));
            namespaces.add(LabPlanner.fabricNamespace(state.name()));
            progress.accept("removing " + namespaces.size() + " network namespaces");
            for (String ns : namespaces) {
                try {
                    if (LabNetwork.namespaceExists(ns)) {
                        LabNetwork.deleteNamespace(ns);
                        removed.add("network namespace " + ns);
                    }
                } catch (LabOperationException e) {
                    failures.add("network namespace " + ns + ": " + e.getMessage());
                }
            }
        }
        removeCgroups(layout, removed, failures);
        removeTree(layout.bpffsRoot(), "bpffs folder", removed, failures);
        removeTree(layout.varDir(), "agent state", removed, failures);
        if (failures.isEmpty()) {
            removeTree(layout.runDir(), "run directory (state, manifests, logs)", removed, failures);
        }
        return new Report(removed, failures);
    }

    private static void stop(ProcessRecord process, Duration grace, String what, List<String> removed,
                             List<String> failures) {
        if (!process.alive()) {
            return;
        }
        if (process.stop(grace)) {
            removed.add(what + " (pid " + process.pid() + ")");
        } else {
            failures.add(what + " (pid " + process.pid() + ") did not exit after SIGKILL");
        }
    }

    /** Kills what runs in the lab's cgroups (lab exec leftovers), then removes them, children first. */
    private static void removeCgroups(LabLayout layout, List<String> removed, List<String> failures) {
        Path root = layout.cgroupRoot();
        if (root == null || !Files.isDirectory(root)) {
            return;
        }
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(root)) {
            dirs = walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
        } catch (IOException e) {
            failures.add("cgroup " + root + ": " + e.getMessage());
            return;
        }
        for (Path dir : dirs) {
            killMembers(dir);
            try {
                Files.delete(dir);
                removed.add("cgroup " + dir);
            } catch (IOException e) {
                failures.add("cgroup " + dir + ": " + e.getMessage() + " (processes left: " + members(dir) + ")");
            }
        }
    }

    private static void killMembers(Path cgroup) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<Long> pids = members(cgroup);
        while (!pids.isEmpty() && System.nanoTime() - deadline < 0) {
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            LabController.sleep(20);
            pids = members(cgroup);
        }
    }

    private static List<Long> members(Path cgroup) {
        try {
            return Files.readAllLines(cgroup.resolve("cgroup.procs")).stream().map(String::strip)
                    .filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
    }

    private static void removeTree(Path root, String what, List<String> removed, List<String> failures) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
            removed.add(what + " " + root);
        } catch (IOException e) {
            failures.add(what + " " + root + ": " + e.getMessage());
        }
    }
}
