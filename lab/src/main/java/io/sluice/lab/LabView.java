package io.sluice.lab;

import io.sluice.lab.LabState.PodState;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * What {@code up} shows once the lab runs: the services and their backends, a live count of the answers each
 * backend gives while a traffic generator in one pod connects to every service frontend in turn, and the policy
 * verdicts as the probe matrix.
 */
final class LabView {
    private static final Duration REFRESH = Duration.ofMillis(500);

    private final LabLayout layout;
    private final PrintWriter out;
    private final boolean ansi;

    LabView(LabLayout layout, PrintWriter out, boolean ansi) {
        this.layout = layout;
        this.out = out;
        this.ansi = ansi;
    }

    /** The services table: type, frontends, affinity, algorithm and backends (pod:port, not-ready marked). */
    static String services(LabState state) {
        Table table = new Table("SERVICE", "TYPE", "FRONTENDS", "AFFINITY", "ALGORITHM", "BACKENDS");
        for (LabService s : state.services()) {
            String frontends = s.frontends().isEmpty()
                    ? ("None".equals(s.clusterIP()) ? "(headless)" : "(none)")
                    : s.frontends().stream().map(ServiceFrontend::toString).collect(Collectors.joining(" "));
            Set<String> backends = new LinkedHashSet<>();
            for (LabBackend b : s.backends()) {
                backends.add((b.pod() == null ? b.address() : b.pod()) + ":" + b.port() + (b.ready() ? "" : "(not ready)"));
            }
            table.row(s.key(), s.type(), frontends, s.sessionAffinity(), s.lbAlgorithm() == null ? "-" : s.lbAlgorithm(),
                    backends.isEmpty() ? "(none)" : String.join(" ", backends));
        }
        return table.toString();
    }

    /** The frontends the traffic generator connects to: every cluster IP port, and node ports on the first node. */
    static List<ServiceFrontend> trafficFrontends(LabState state) {
        String firstNode = state.nodes().isEmpty() ? null : state.nodes().getFirst().node().address();
        List<ServiceFrontend> result = new ArrayList<>();
        for (LabService s : state.services()) {
            for (ServiceFrontend f : s.frontends()) {
                boolean usable = f.protocol().equals("TCP") || f.protocol().equals("UDP");
                if (usable && (f.kind().equals("ClusterIP") || f.address().equals(firstNode))) {
                    result.add(f);
                }
            }
        }
        return result;
    }

    /** Shows everything, running traffic for {@code watch}; returns false when probing failed. */
    boolean show(LabState state, Duration watch, Duration probeTimeout) {
        out.println();
        out.println("SERVICES");
        out.print(services(state));
        out.flush();
        if (!watch.isZero() && !state.pods().isEmpty()) {
            traffic(state, watch);
        }
        out.println();
        out.println("POLICY VERDICTS (every pod to every pod on every declared port: '.' reached, 'X' blocked)");
        try {
            LabProber.Result result = LabProber.probe(layout, state, probeTimeout);
            out.print(result.matrix().toText());
            result.anomalies().forEach(a -> out.println("warning: " + a));
            out.flush();
            return true;
        } catch (LabOperationException e) {
            out.println("probing failed: " + e.getMessage());
            out.flush();
            return false;
        }
    }

    private void traffic(LabState state, Duration watch) {
        List<ServiceFrontend> frontends = trafficFrontends(state);
        Map<ServiceFrontend, String> serviceOf = new java.util.HashMap<>();
        for (LabService s : state.services()) {
            s.frontends().forEach(f -> serviceOf.put(f, s.key()));
        }
        out.println();
        if (frontends.isEmpty()) {
            out.println("TRAFFIC: no service frontend to send traffic to");
            return;
        }
        LabPod client = state.pods().stream().map(PodState::pod).min(Comparator.comparing(LabPod::key)).orElseThrow();
        List<String> targets = frontends.stream().map(f -> f.protocol() + "/" + f.address() + "/" + f.port()).toList();
        List<String> args = new ArrayList<>(List.of("traffic", "--duration", String.valueOf(watch.toMillis() / 1000.0)));
        args.addAll(targets);
        List<String> command = PodCommand.inNamespace(client.networkNamespace(), layout.nodeCgroup(client.node()),
                PodCommand.helper(layout, args.toArray(String[]::new)));
        List<Map<String, AtomicLong>> answers = new ArrayList<>();
        List<AtomicLong> failures = new ArrayList<>();
        List<String> lastError = new ArrayList<>();
        for (int i = 0; i < frontends.size(); i++) {
            answers.add(new ConcurrentHashMap<>());
            failures.add(new AtomicLong());
            lastError.add("");
        }
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            out.println("TRAFFIC: cannot start the traffic generator in " + client.key() + ": " + e.getMessage());
            return;
        }
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    int tab = line.indexOf('\t');
                    if (tab < 0 || !line.substring(0, tab).chars().allMatch(Character::isDigit) || tab == 0) {
                        continue;
                    }
                    int i = Integer.parseInt(line.substring(0, tab));
                    String answer = line.substring(tab + 1);
                    if (i >= frontends.size()) {
                        continue;
                    }
                    if (answer.startsWith("!")) {
                        failures.get(i).incrementAndGet();
                        synchronized (lastError) {
                            lastError.set(i, answer.substring(1));
                        }
                    } else {
                        answers.get(i).computeIfAbsent(answer, a -> new AtomicLong()).incrementAndGet();
                    }
                }
            } catch (IOException ignored) {
                // the generator ended
            }
        });
        long end = System.nanoTime() + watch.toNanos();
        int printed = 0;
        while (p.isAlive() || reader.isAlive()) {
            if (ansi) {
                printed = redraw(printed, client, frontends, serviceOf, answers, failures, lastError,
                        Math.max(0, (end - System.nanoTime()) / 1_000_000_000L));
            }
            try {
                reader.join(REFRESH);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                break;
            }
        }
        redraw(ansi ? printed : 0, client, frontends, serviceOf, answers, failures, lastError, 0);
    }

    private int redraw(int previousLines, LabPod client, List<ServiceFrontend> frontends,
                       Map<ServiceFrontend, String> serviceOf, List<Map<String, AtomicLong>> answers,
                       List<AtomicLong> failures, List<String> lastError, long secondsLeft) {
        List<String> lines = new ArrayList<>();
        lines.add("TRAFFIC from pod " + client.key() + " to every service frontend, connections answered per backend"
                + (secondsLeft > 0 ? " (" + secondsLeft + " s left)" : ""));
        Table table = new Table("SERVICE", "FRONTEND", "ANSWERS BY BACKEND", "NO ANSWER");
        for (int i = 0; i < frontends.size(); i++) {
            Map<String, Long> counts = new TreeMap<>();
            answers.get(i).forEach((k, v) -> counts.put(k, v.get()));
            String byBackend = counts.isEmpty() ? "-" : counts.entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("  "));
            long failed = failures.get(i).get();
            String error;
            synchronized (lastError) {
                error = lastError.get(i);
            }
            table.row(serviceOf.get(frontends.get(i)), frontends.get(i), byBackend,
                    failed == 0 ? "0" : failed + " (" + error + ")");
        }
        lines.addAll(table.lines());
        if (previousLines > 0) {
            out.print("\u001b[" + previousLines + "F\u001b[J");
        }
        lines.forEach(out::println);
        out.flush();
        return lines.size();
    }

    /** Whether the writer goes to a terminal (then the traffic counts update in place). */
    static boolean terminal() {
        return Optional.ofNullable(System.console()).map(java.io.Console::isTerminal).orElse(false);
    }
}
