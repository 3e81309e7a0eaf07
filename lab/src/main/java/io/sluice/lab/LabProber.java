package io.sluice.lab;

import io.sluice.lab.LabState.PodState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Tries every lab pod to every lab pod on every port any pod declares, with real connections: from each source pod
 * (its namespace and its node's cgroup, so the agent's socket hooks see the connection) one helper process probes
 * all destinations at once. A cell is reached when the destination's responder answered with its own name.
 */
final class LabProber {
    /** What probing found, and destinations that answered with another name (an address clash). */
    record Result(ProbeMatrix matrix, List<String> anomalies) {
    }

    private LabProber() {
    }

    /**
     * Probes the lab of {@code state}.
     *
     * @throws LabOperationException naming the source pod when a prober could not run or gave no result
     */
    static Result probe(LabLayout layout, LabState state, Duration timeout) {
        List<LabPod> pods = state.pods().stream().map(PodState::pod).sorted(java.util.Comparator.comparing(LabPod::key)).toList();
        TreeSet<PodPort> portSet = new TreeSet<>();
        pods.forEach(p -> portSet.addAll(p.ports()));
        List<PodPort> ports = List.copyOf(portSet);
        ProbeMatrix matrix = new ProbeMatrix(pods.stream().map(LabPod::key).toList(), ports);
        List<String> anomalies = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        List<String[]> cells = new ArrayList<>(); // port index, destination key
        for (int i = 0; i < ports.size(); i++) {
            for (LabPod to : pods) {
                targets.add(ports.get(i).protocol() + "/" + to.address() + "/" + ports.get(i).port());
                cells.add(new String[] {String.valueOf(i), to.key()});
            }
        }
        if (targets.isEmpty()) {
            return new Result(matrix, anomalies);
        }
        List<CompletableFuture<JsonNode>> runs = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (LabPod from : pods) {
                runs.add(CompletableFuture.supplyAsync(() -> runProber(layout, from, targets, timeout), threads));
            }
        }
        for (int s = 0; s < pods.size(); s++) {
            LabPod from = pods.get(s);
            JsonNode results = join(runs.get(s), from);
            if (!results.isArray() || results.size() != targets.size()) {
                throw new LabOperationException("probing from pod " + from.key() + " gave " + results.size()
                        + " results for " + targets.size() + " targets");
            }
            for (int t = 0; t < targets.size(); t++) {
                PodPort port = ports.get(Integer.parseInt(cells.get(t)[0]));
                String to = cells.get(t)[1];
                JsonNode answer = results.get(t).get("answer");
                boolean reached = answer != null && answer.asString().equals(to);
                if (answer != null && !reached) {
                    anomalies.add(from.key() + " -> " + to + " " + port + ": answered by \"" + answer.asString() + "\"");
                }
                matrix.set(port, from.key(), to, reached);
            }
        }
        return new Result(matrix, anomalies);
    }

    private static JsonNode join(CompletableFuture<JsonNode> run, LabPod from) {
        try {
            return run.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof LabOperationException l) {
                throw l;
            }
            throw new LabOperationException("probing from pod " + from.key() + " failed: " + e.getCause(), e);
        }
    }

    private static JsonNode runProber(LabLayout layout, LabPod from, List<String> targets, Duration timeout) {
        List<String> args = new ArrayList<>(List.of("probe", "--timeout", String.valueOf(timeout.toMillis() / 1000.0)));
        args.addAll(targets);
        List<String> command = PodCommand.inNamespace(from.networkNamespace(), layout.nodeCgroup(from.node()),
                PodCommand.helper(layout, args.toArray(String[]::new)));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new LabOperationException("probing from pod " + from.key() + ": cannot run " + command.getFirst()
                    + ": " + e.getMessage());
        }
        CompletableFuture<String> err = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> err.complete(read(p.getErrorStream())));
        String out = read(p.getInputStream());
        try {
            // Every probe runs at once; the slowest takes a connect and a read timeout.
            if (!p.waitFor(timeout.multipliedBy(3).plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new LabOperationException("probing from pod " + from.key() + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new LabOperationException("probing from pod " + from.key() + " failed (exit " + p.exitValue()
                        + "): " + LabController.tail(err.get(5, TimeUnit.SECONDS))
                        + "; is the pod's network namespace " + from.networkNamespace() + " still there? (sluice lab status)");
            }
            return LabStateFile.JSON.readTree(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new LabOperationException("probing interrupted", e);
        } catch (JacksonException e) {
            throw new LabOperationException("probing from pod " + from.key() + " printed no result: " + LabController.tail(out));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new LabOperationException("probing from pod " + from.key() + " failed (exit " + p.exitValue() + ")");
        }
    }

    static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
