package io.sluice.lab;

import io.sluice.lab.LabState.NodeState;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The lab's kubelet and controllers, a background process started by {@code up}: starts each node's agent and
 * restarts it when it dies (with a back-off doubling from 1 s to 30 s, as for a crash-looping pod), records it as
 * serving once it answers /readyz, restarts dead responders, and applies changes of the user's manifest directory
 * (watched, and compared by content every 2 s) to the running lab. A change that does not plan (a bad object) is not applied: the problems are logged and shown by
 * {@code status}, and the lab keeps its last good state. The only writer of the state file while it runs.
 * SIGTERM stops it and leaves the agents running ({@code down} stops them).
 */
final class LabSupervisor {
    static final Duration TICK = Duration.ofMillis(500);
    static final Duration RESCAN = Duration.ofSeconds(2);
    static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** An agent that ran this long without dying restarts, when it dies, after the shortest back-off again. */
    static final Duration HEALTHY_RESET = Duration.ofSeconds(60);

    private final LabController controller;
    private final PrintStream log;
    private final Map<String, Long> nextStart = new HashMap<>();
    private final Map<String, Long> startedAt = new HashMap<>();
    private final Map<String, Duration> backoff = new HashMap<>();
    private volatile boolean running = true;
    private Map<Path, String> fingerprint = Map.of();

    LabSupervisor(LabLayout layout, PrintStream log) {
        this.log = log;
        this.controller = new LabController(layout, this::log);
    }

    private void log(String message) {
        log.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " " + message);
        log.flush();
    }

    /** Runs until SIGTERM. */
    void run() {
        LabStateFile file = new LabStateFile(controller.layout().stateFile());
        LabState state = file.read().orElseThrow(() -> new LabOperationException("no lab state at "
                + file.path() + ": start the lab with sluice lab up"));
        state = controller.save(state.withSupervisor(ProcessRecord.of(ProcessHandle.current())));
        Thread main = Thread.currentThread();
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running = false;
            main.interrupt();
            try {
                // Not main.join(): main ends in System.exit, which waits for this hook.
                stopped.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            supervise(state);
        } finally {
            stopped.countDown();
        }
    }

    private void supervise(LabState initial) {
        LabState state = initial;
        log("supervising lab " + state.name() + " (" + state.nodes().size() + " nodes, " + state.pods().size()
                + " pods), manifests " + state.manifests());
        Path manifests = Path.of(state.manifests());
        WatchService watcher = watch(manifests);
        fingerprint = fingerprint(manifests);
        state = applyManifests(state, manifests);
        long nextScan = System.nanoTime() + RESCAN.toNanos();
        try {
            while (running) {
                state = superviseAgents(state);
                state = recordServingAgents(state);
                state = controller.restartResponders(state);
                boolean changed = false;
                if (watcher != null && watcher.poll(TICK.toMillis(), TimeUnit.MILLISECONDS) instanceof java.nio.file.WatchKey key) {
                    key.pollEvents();
                    key.reset();
                    Thread.sleep(100); // an editor's save is several events: read once after them
                    changed = true;
                } else if (watcher == null) {
                    Thread.sleep(TICK.toMillis());
                }
                if (changed || System.nanoTime() - nextScan > 0) {
                    nextScan = System.nanoTime() + RESCAN.toNanos();
                    Map<Path, String> now = fingerprint(manifests);
                    if (!now.equals(fingerprint)) {
                        fingerprint = now;
                        log("manifests changed in " + manifests);
                        state = applyManifests(state, manifests);
                    }
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // SIGTERM: leave the agents and pods running; down removes them.
        }
        log("supervisor stopping");
    }

    private LabState applyManifests(LabState state, Path manifests) {
        try {
            LabPlan plan = LabPlanner.plan(state.name(), ManifestSet.read(manifests), state.nodes().size(),
                    state.assignments());
            plan.warnings().forEach(w -> log("warning: " + w));
            LabState next = controller.applyPlan(state, plan);
            log("applied: " + plan.pods().size() + " pods, " + plan.services().size() + " services");
            return next;
        } catch (LabInputException e) {
            log("manifests not applied, the lab keeps its last good state:");
            e.problems().forEach(p -> log("  " + p));
            return controller.save(state.withProblems(e.problems()));
        } catch (RuntimeException e) {
            log("applying the manifests failed: " + e.getMessage());
            return controller.save(state.withProblems(List.of("applying the manifests failed: " + e.getMessage())));
        }
    }

    /** Starts agents that are not running once their back-off has passed; records them in the state. */
    private LabState superviseAgents(LabState state) {
        List<NodeState> nodes = new ArrayList<>();
        boolean changed = false;
        long now = System.nanoTime();
        for (NodeState node : state.nodes()) {
            String name = node.node().name();
            if (node.agent() != null && node.agent().alive()) {
                if (now - startedAt.getOrDefault(name, now) > HEALTHY_RESET.toNanos()) {
                    backoff.remove(name); // running for a while: a later crash starts the back-off over
                }
                nodes.add(node);
                continue;
            }
            if (nextStart.containsKey(name) && now - nextStart.get(name) < 0) {
                nodes.add(node);
                continue;
            }
            boolean restart = node.agent() != null;
            if (restart) {
                log("the agent of " + name + " (pid " + node.agent().pid() + ") is not running: restarting it (log: "
                        + controller.layout().agentLog(name) + ")");
            }
            Duration wait = backoff.getOrDefault(name, MIN_BACKOFF);
            nextStart.put(name, now + wait.toNanos());
            backoff.put(name, wait.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait.multipliedBy(2));
            startedAt.put(name, now);
            try {
                ProcessRecord record = ProcessRecord.justStarted(controller.startAgent(state.agentCommand(), node.node()).toHandle());
                log("started the agent of " + name + " (pid " + record.pid() + ")");
                nodes.add(node.withAgent(record, node.agentRestarts() + (restart ? 1 : 0)));
                changed = true;
            } catch (LabOperationException e) {
                log(e.getMessage());
                nodes.add(node);
            }
        }
        return changed ? controller.save(state.withNodes(nodes)) : state;
    }

    /**
     * Records as serving the agents that started and now answer /readyz (asked at once, one thread each), so that
     * {@code status} reports an agent running only when it serves.
     */
    private LabState recordServingAgents(LabState state) {
        List<NodeState> starting = state.nodes().stream()
                .filter(n -> n.agent() != null && n.agent().starting() && n.agent().alive()).toList();
        if (starting.isEmpty()) {
            return state;
        }
        Set<String> ready = ConcurrentHashMap.newKeySet();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (NodeState node : starting) {
                threads.submit(() -> {
                    if (controller.agentAnswersReady(node.node())) {
                        ready.add(node.node().name());
                    }
                });
            }
        }
        if (ready.isEmpty()) {
            return state;
        }
        List<NodeState> nodes = new ArrayList<>();
        for (NodeState node : state.nodes()) {
            boolean serving = ready.contains(node.node().name());
            if (serving) {
                log("the agent of " + node.node().name() + " (pid " + node.agent().pid() + ") is ready");
            }
            nodes.add(serving ? node.withAgent(node.agent().asServing(), node.agentRestarts()) : node);
        }
        return controller.save(state.withNodes(nodes));
    }

    private WatchService watch(Path directory) {
        try {
            WatchService watcher = directory.getFileSystem().newWatchService();
            directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            return watcher;
        } catch (IOException | RuntimeException e) {
            log("no change notifications for " + directory + " (" + e + "); rescanning every " + RESCAN.toSeconds() + " s");
            return null;
        }
    }

    /** A checksum of each manifest file's content, by file: what tells a change, whatever the clock did. */
    static Map<Path, String> fingerprint(Path directory) {
        Map<Path, String> result = new TreeMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : files.filter(ManifestSet::isManifestFile).toList()) {
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(Files.readAllBytes(f));
                result.put(f, Long.toHexString(crc.getValue()));
            }
        } catch (IOException e) {
            result.put(directory, "unreadable: " + e.getMessage());
        }
        return result;
    }
}
