package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.ids.ServiceIds;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.services.ServiceReconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.Codec;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.LbScope;
import io.sluice.maps.MapName;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.TypedMap;
import io.sluice.servicelb.NodeContext;
import io.sluice.servicelb.ServiceLbConfig;
import io.sluice.servicelb.ServiceTranslator;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The agent at scale: 10,000 Services with 10 endpoints each. Prints figures, asserts only correctness (every
 * frontend and backend programmed, every change seen in the maps). Opt-in, as it takes minutes on this machine:
 * <pre>
 * mvn -pl ebpf-tests test -Dtest=AgentScaleBenchmark -Dsluice.bench=true
 * </pre>
 * <ul>
 *   <li>{@link #theAgentProcessProgramsTenThousandServices}: the real launcher on a manifest folder of 10,000 files:
 *       time from start to maps fully programmed (the agent's stamp of its first-sync flush) and to ready
 *       (/readyz, after HeapTrim's first full collection), the latter split into JVM and start-up work versus the
 *       first sync and flush (the agent's own sync histogram), a timeline from the launch, and the agent's resident memory (VmRSS) once synced and after a
 *       30 s of manifest churn (1,000 file writes per second); all without an AOT cache (a fresh node's first start).
 *       Then the same start with the launcher's node-trained AOT cache, trained first when this build has none
 *       ({@code -Dsluice.bench.aotDir}, {@code off} to skip): what every later start makes; and on the shipped cache,
 *       which {@code bin/sluice aot-train} writes without kernel access, as an image build does
 *       ({@code -Dsluice.bench.shippedAotDir}, {@code off} to skip): what a fresh node's first start makes.</li>
 *   <li>{@link #anEndpointSliceChangeReachesThePinnedMapsWithinMilliseconds}: the agent's pipeline (event queue,
 *       writer thread, store, service reconciler) on the real, pinned BPF maps, fed by a source that publishes
 *       1,000 endpoint changes per second evenly; a second thread reads the pinned maps (its own descriptors) until
 *       each change is visible, and reports p50/p99 of arrival-to-visible.</li>
 * </ul>
 */
@ScaleBenchmark
class AgentScaleBenchmark {
    private static final int SERVICES = ScaleBenchmark.SERVICES;
    private static final int ENDPOINTS = ScaleBenchmark.ENDPOINTS;
    private static final int CHANGES_PER_SECOND = ScaleBenchmark.CHANGES_PER_SECOND;
    private static final int CHURN_SECONDS = 10;
    /** Seconds of manifest churn in the agent process test ({@code -Dsluice.bench.churnSeconds}, default 30). */
    private static final int CHURN_FILE_SECONDS = Integer.getInteger(ScaleBenchmark.CHURN_SECONDS_PROPERTY, 30);
    /**
     * The churn's first seconds, reported apart as well ({@code -Dsluice.bench.churnWarmupSeconds}, default 2): both
     * JVMs compile the churn path then (the agent ~250 methods in the first 1.5 s, the benchmark's own JVM, on the
     * same two cores, ~130), so a p99 over the whole churn mixes a one-off warm-up into the steady state.
     */
    private static final int CHURN_WARMUP_SECONDS = Integer.getInteger("sluice.bench.churnWarmupSeconds", 2);

    // ---- the agent process ------------------------------------------------------------------------------------

    @Test
    void theAgentProcessProgramsTenThousandServices() throws Exception {
        String javaOpts = System.getProperty("sluice.bench.agentJavaOpts", "");
        Path launcher = Path.of(System.getProperty("sluice.bench.launcher", AgentNode.ROOT.resolve("bin/sluice").toString()));
        try (AgentNode net = new AgentNode()) {
            writeManifests(net);
            // No AOT cache here whatever the environment says: a fresh node's first start (the cached starts follow),
            // unless -Dsluice.bench.agentEnv (side-by-side syntax, e.g. 'SLUICE_AOT_DIR=DIR;SLUICE_AOT_SHIPPED=off') says
            // otherwise, for the churn figures of a cached start.
            Map<String, String> agentEnv = new LinkedHashMap<>(Map.of("SLUICE_JAVA_OPTS", javaOpts, "SLUICE_AOT_DIR", "off"));
            agentEnv.putAll(environment(System.getProperty("sluice.bench.agentEnv", "")));
            TimedStart started = TimedStart.of(net, launcher, agentEnv, READY_POLL_MILLIS);
            Process agent = started.agent();
            double total = started.readySeconds();
            String metrics = net.httpGet("/metrics");
            double sync = metric(metrics, "sluice_sync_duration_seconds_sum");
            double programmed = started.programmedSeconds(metrics);
            assertThat(pinnedSize(net.pins, MapName.LB4_SERVICES, Lb4Key.CODEC, Lb4Service.CODEC)).isEqualTo(SERVICES);
            assertThat(pinnedSize(net.pins, MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC)).isEqualTo(SERVICES * ENDPOINTS);
            if (!Double.isNaN(programmed)) { // NaN: a build without the stamp (-Dsluice.bench.launcher)
                // The maps were full at ready; the flush the agent stamped came before it (StateWriterTest: right after it).
                assertThat(programmed).as("launch to the agent's first sync flushed, against launch to ready").isBetween(0.0, total);
            }
            long rssSynced = vmRssKib(agent.pid());
            System.out.printf("agent process (%s, SLUICE_JAVA_OPTS='%s', AOT %s), %d services x %d endpoints from %d manifest files:%n",
                    launcher, javaOpts, aotMode(agent.pid()), SERVICES, ENDPOINTS, SERVICES);
            System.out.printf("  start to maps fully programmed (the agent's first-sync flush, sluice_first_sync_flushed_timestamp_seconds,"
                    + " against the launch): %.2f s; ready %.2f s after that%n", programmed, total - programmed);
            System.out.printf("  start to ready (/readyz 200, polled every %d ms: the flush, then HeapTrim's first full collection):"
                    + " %.2f s = JVM and start-up %.2f s + first sync and flush %.2f s; agent CPU time to ready %.2f s (load average %s)%n",
                    started.readyPollMillis(), total, total - sync, sync, started.cpuAtReady(), loadAverage());
            System.out.printf("  agent CPU to ready by thread (s; kernel s, page faults in brackets): %s%n", started.byThreadAtReady());
            System.out.printf("  VmRSS once synced: %d MiB (%s); live heap after a full GC: %s%n", rssSynced / 1024,
                    rssParts(agent.pid()), liveHeap(agent.pid()));
            System.out.printf("  timeline from the launch (s): %s%n", started.timeline(metrics));
            nativeMemory(agent.pid(), javaOpts);

            String atReady = net.httpGet("/metrics");
            // Manifest churn: one endpoint of one Service changes per file write, 1,000 writes per second. A second
            // thread reads the pinned maps (its own descriptors) until each write's new address is visible: the
            // latency from the file renamed into place to the map write, measured outside the agent, whatever build.
            LinkedBlockingQueue<Change> renamed = new LinkedBlockingQueue<>();
            // Every 250 µs: the agent's latencies here are milliseconds, and a check every 20 µs took most of a core
            // from the agent on this 2-core machine.
            Verifier verifier = new Verifier(net.pins.resolve("maps"), renamed, 250);
            Thread verifierThread = Thread.ofPlatform().name("bench-verifier").start(verifier);
            int[] generation = new int[SERVICES];
            long churnStart = System.nanoTime();
            long churnEnd = churnStart + TimeUnit.SECONDS.toNanos(CHURN_FILE_SECONDS);
            long warmupEnd = churnStart + TimeUnit.SECONDS.toNanos(CHURN_WARMUP_SECONDS);
            long next = churnStart;
            int writes = 0;
            int warmupWrites = 0;
            while (System.nanoTime() < churnEnd) {
                if (System.nanoTime() < warmupEnd) {
                    warmupWrites++;
                }
                int s = ThreadLocalRandom.current().nextInt(SERVICES);
                int g = ++generation[s];
                Path tmp = net.manifests.resolve("." + fileOf(s));
                Files.writeString(tmp, yaml(s, g));
                Files.move(tmp, net.manifests.resolve(fileOf(s)), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                renamed.add(new Change(s, endpointIp(s, (g - 1) % ENDPOINTS, g), System.nanoTime()));
                writes++;
                next += TimeUnit.SECONDS.toNanos(1) / CHANGES_PER_SECOND;
                LockSupport.parkNanos(next - System.nanoTime());
            }
            renamed.add(Change.END);
            verifierThread.join();
            long[] visible = verifier.latencies();
            assertThat(visible).as("every rewritten file's new address looked for in the pinned maps").hasSize(writes);
            long notSeen = Arrays.stream(visible).filter(v -> v == Verifier.NOT_SEEN).count();
            long[] afterWarmup = Arrays.copyOfRange(visible, warmupWrites, writes);
            Arrays.sort(afterWarmup);
            Arrays.sort(visible);
            AgentNode.awaitQuietly(java.time.Duration.ofSeconds(2));
            String after = net.httpGet("/metrics");
            System.out.printf("  VmRSS after %d s of manifest churn (%d file writes): %d MiB (%s); live heap after a full GC: %s%n",
                    CHURN_FILE_SECONDS, writes, vmRssKib(agent.pid()) / 1024, rssParts(agent.pid()), liveHeap(agent.pid()));
            nativeMemory(agent.pid(), javaOpts);
            System.out.printf("  agent's event-to-map histogram over the churn (at the end minus at ready): %s%n",
                    bucketsSince(atReady, after, "sluice_event_to_map_latency_seconds"));
            // Published: what the manifest source put into the queue; flushed: what the writer observed in the
            // histogram once the flush that wrote it returned (a key changed twice before its flush counts once).
            long published = Math.round(metric(after, "sluice_events_received_total") - metric(atReady, "sluice_events_received_total"));
            long flushed = Math.round(metric(after, "sluice_event_to_map_latency_seconds_count")
                    - metric(atReady, "sluice_event_to_map_latency_seconds_count"));
            System.out.printf("  churn: %d file writes, %d events published, %d flushed 2 s after the last write, queue overflows %d;"
                            + " event-to-map p50 %s, p99 %s (bucket upper bounds) (load average %s)%n",
                    writes, published, flushed,
                    Math.round(metric(after, "sluice_event_queue_overflows_total") - metric(atReady, "sluice_event_queue_overflows_total")),
                    quantileSince(atReady, after, "sluice_event_to_map_latency_seconds", 0.5),
                    quantileSince(atReady, after, "sluice_event_to_map_latency_seconds", 0.99), loadAverage());
            System.out.printf("  churn: file renamed into place -> its new address visible in the pinned maps (read by the benchmark):"
                            + " p50 %.2f ms, p99 %.2f ms, max %.2f ms, within 10 ms %.1f %%, not within 5 s %d (load average %s)%n",
                    visible[writes / 2] / 1e6, visible[(int) (writes * 0.99)] / 1e6, visible[writes - 1] / 1e6,
                    100.0 * Arrays.stream(visible).filter(v -> v <= 10_000_000L).count() / writes, notSeen, loadAverage());
            int steady = afterWarmup.length;
            if (steady > 0) {
                System.out.printf("  churn after its first %d s (%d writes; the first seconds are both JVMs' JIT warm-up): p50 %.2f ms,"
                                + " p99 %.2f ms, max %.2f ms, within 10 ms %.1f %%%n",
                        CHURN_WARMUP_SECONDS, steady, afterWarmup[steady / 2] / 1e6, afterWarmup[(int) (steady * 0.99)] / 1e6,
                        afterWarmup[steady - 1] / 1e6, 100.0 * Arrays.stream(afterWarmup).filter(v -> v <= 10_000_000L).count() / steady);
            }
            assertThat(net.logOf(agent)).doesNotContain("flush failed");
        }
        if (!AOT_DIR.equals("off")) {
            startWithATrainedAotCache(launcher, Map.of("SLUICE_JAVA_OPTS", javaOpts, "SLUICE_AOT_DIR", AOT_DIR,
                    "SLUICE_AOT_SHIPPED", "off"));
        }
        if (!SHIPPED_AOT_DIR.equals("off")) {
            trainShippedCache(launcher, SHIPPED_AOT_DIR);
            try (AgentNode net = new AgentNode()) {
                writeManifests(net);
                // A node folder of its own, empty: the launcher takes the shipped cache.
                Path nodeDir = Files.createTempDirectory("sluice-bench-aot-node-");
                TimedStart started = TimedStart.of(net, launcher, Map.of("SLUICE_JAVA_OPTS", javaOpts, "SLUICE_AOT_DIR",
                        nodeDir.toString(), "SLUICE_AOT_SHIPPED", SHIPPED_AOT_DIR), READY_POLL_MILLIS);
                Process agent = started.agent();
                double total = started.readySeconds();
                double cpu = started.cpuAtReady();
                String byThread = started.byThreadAtReady();
                assertThat(aotMode(agent.pid())).as("the launcher's AOT mode").isEqualTo("shipped cache");
                assertThat(pinnedSize(net.pins, MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC)).isEqualTo(SERVICES * ENDPOINTS);
                String metrics = net.httpGet("/metrics");
                double programmed = started.programmedSeconds(metrics);
                System.out.printf("agent process (%s, SLUICE_JAVA_OPTS='%s', with the shipped AOT cache in %s: a fresh node's first"
                        + " start from an image with the cache):%n", launcher, javaOpts, SHIPPED_AOT_DIR);
                System.out.printf("  start to maps fully programmed (the agent's first-sync flush): %.2f s; ready %.2f s after that%n",
                        programmed, total - programmed);
                System.out.printf("  start to ready (/readyz 200, polled every %d ms): %.2f s; agent CPU time to ready %.2f s (load average %s)%n",
                        started.readyPollMillis(), total, cpu, loadAverage());
                System.out.printf("  agent CPU to ready by thread (s; kernel s, page faults in brackets): %s%n", byThread);
                System.out.printf("  VmRSS once synced: %d MiB (%s)%n", vmRssKib(agent.pid()) / 1024, rssParts(agent.pid()));
                Files.deleteIfExists(nodeDir);
            }
        }
    }

    /**
     * Where {@link #theAgentProcessProgramsTenThousandServices} has {@code bin/sluice aot-train} write the shipped AOT
     * cache for its third start ({@code -Dsluice.bench.shippedAotDir}; default
     * {@code ebpf-tests/target/sluice-bench-aot-shipped}; {@code off}: no such start).
     */
    private static final String SHIPPED_AOT_DIR = System.getProperty("sluice.bench.shippedAotDir",
            AgentNode.ROOT.resolve("ebpf-tests/target/sluice-bench-aot-shipped").toString());

    /**
     * Runs {@code launcher aot-train} with {@code SLUICE_AOT_SHIPPED=dir}: the kernel-free training start that writes
     * the shipped cache, as an image build does. Prints how long it took and the cache's size.
     */
    static void trainShippedCache(Path launcher, String dir) throws Exception {
        Path log = Files.createTempFile("sluice-bench-aot-train-", ".log");
        ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "aot-train").redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("SLUICE_AOT_SHIPPED", dir);
        long start = System.nanoTime();
        Process training = builder.start();
        assertThat(training.waitFor(10, TimeUnit.MINUTES)).as("aot-train ends").isTrue();
        double seconds = (System.nanoTime() - start) / 1e9;
        String output = Files.readString(log);
        assertThat(training.exitValue()).as("aot-train's exit code; its output:%n%s", output).isZero();
        String wrote = output.lines().filter(l -> l.startsWith("sluice aot-train:")).collect(Collectors.joining("; "));
        System.out.printf("shipped AOT cache (%s aot-train, no kernel access): %.1f s including the cache's assembly, agent CPU %.1f s"
                + " (load average %s): %s%n", launcher, seconds,
                training.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN), loadAverage(), wrote);
        Files.deleteIfExists(log);
    }

    /**
     * Where {@link #theAgentProcessProgramsTenThousandServices} keeps the launcher's AOT cache for its second start
     * ({@code -Dsluice.bench.aotDir}; default {@code ebpf-tests/target/sluice-bench-aot}; {@code off}: no second start).
     * The launcher names a cache after the build and JDK, so a rebuilt agent trains a new one there.
     */
    private static final String AOT_DIR = System.getProperty("sluice.bench.aotDir",
            AgentNode.ROOT.resolve("ebpf-tests/target/sluice-bench-aot").toString());

    /**
     * The same start with the launcher's AOT cache (JEP 483/514) in {@code env}'s {@code SLUICE_AOT_DIR}, as every start
     * after a node's first, and every node of an image whose cache is trained, makes it: start to ready, agent CPU by
     * thread and VmRSS. When the launcher finds no cache for this build it trains one, as the DaemonSet's first pod
     * does: that start is reported apart, stopped with SIGTERM (the JVM then writes the cache) and followed by a start
     * on the cache, each on a fresh node.
     */
    static void startWithATrainedAotCache(Path launcher, Map<String, String> env) throws Exception {
        for (int attempt = 0; attempt < 2; attempt++) {
            try (AgentNode net = new AgentNode()) {
                writeManifests(net);
                TimedStart started = TimedStart.of(net, launcher, env, READY_POLL_MILLIS);
                Process agent = started.agent();
                double total = started.readySeconds();
                double cpu = started.cpuAtReady();
                String byThread = started.byThreadAtReady();
                String aot = aotMode(agent.pid());
                assertThat(pinnedSize(net.pins, MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC)).isEqualTo(SERVICES * ENDPOINTS);
                if (aot.equals("training")) {
                    System.out.printf("  AOT training run (the launcher found no cache for this build in %s; a figure of neither"
                            + " start): start to ready %.2f s, agent CPU %.2f s (load average %s)%n", env.get("SLUICE_AOT_DIR"),
                            total, cpu, loadAverage());
                    long stop = System.nanoTime();
                    agent.destroy();
                    if (!agent.waitFor(3, TimeUnit.MINUTES)) {
                        AgentNode.kill9(agent);
                        throw new AssertionError("the training agent did not stop within 3 minutes of SIGTERM");
                    }
                    System.out.printf("  the training agent stopped and wrote its cache in %.1f s%n", (System.nanoTime() - stop) / 1e9);
                    continue;
                }
                assertThat(aot).as("the launcher's AOT mode (another agent may be training in %s; a shipped cache is taken"
                                + " before training: SLUICE_AOT_SHIPPED=off)", env.get("SLUICE_AOT_DIR"))
                        .isEqualTo("cache");
                System.out.printf("agent process (%s, SLUICE_JAVA_OPTS='%s', with the AOT cache in %s: every later start, and every"
                        + " node of an image with a trained cache):%n", launcher, env.get("SLUICE_JAVA_OPTS"), env.get("SLUICE_AOT_DIR"));
                String metrics = net.httpGet("/metrics");
                double programmed = started.programmedSeconds(metrics);
                System.out.printf("  start to maps fully programmed (the agent's first-sync flush): %.2f s; ready %.2f s after that%n",
                        programmed, total - programmed);
                System.out.printf("  start to ready (/readyz 200, polled every %d ms): %.2f s; agent CPU time to ready %.2f s (load average %s)%n",
                        started.readyPollMillis(), total, cpu, loadAverage());
                System.out.printf("  agent CPU to ready by thread (s; kernel s, page faults in brackets): %s%n", byThread);
                System.out.printf("  VmRSS once synced: %d MiB (%s)%n", vmRssKib(agent.pid()) / 1024, rssParts(agent.pid()));
                System.out.printf("  timeline from the launch (s): %s%n", started.timeline(metrics));
                return;
            }
        }
        throw new AssertionError("no start on a trained AOT cache after a training run in " + env.get("SLUICE_AOT_DIR"));
    }

    /**
     * How often the benchmark asks /readyz while an agent starts ({@code -Dsluice.bench.readyPollMillis}, default 200:
     * {@link AgentNode#awaitReady}'s own poll alone). Every 20 ms cost the agent's HTTP thread 0.1-0.2 s more CPU to
     * ready (4 + 4 runs; with one kept-alive connection and HEAD as well), so finer polls are opt-in.
     */
    static final int READY_POLL_MILLIS = Integer.getInteger("sluice.bench.readyPollMillis", 200);
    private static final int AGENT_NODE_POLL_MILLIS = 200;
    /** The agent's stamp (unix time) of the flush that made every source's first sync visible in the maps. */
    private static final String FIRST_SYNC_FLUSHED = "sluice_first_sync_flushed_timestamp_seconds";

    /**
     * From {@code launched} to the agent's stamp of its first-sync flush ({@value #FIRST_SYNC_FLUSHED} in
     * {@code metrics}); NaN for a build that does not export the stamp.
     */
    static double programmedSince(Instant launched, String metrics) {
        double flushed = metric(metrics, FIRST_SYNC_FLUSHED);
        return flushed > 0 ? flushed - TimedStart.epochSeconds(launched) : Double.NaN;
    }

    /**
     * One start of the agent on {@code net}'s manifest folder, timed on the wall clock from the moment the benchmark
     * launched it. Ready is the first /readyz answering 200 (asked every {@code readyPollMillis}); the agent's CPU
     * time, in all and by thread, is read right then. Maps fully programmed is the agent's own stamp of the flush that
     * made its first sync visible ({@value #FIRST_SYNC_FLUSHED}); readiness follows it by HeapTrim's first full
     * collection and the poll.
     */
    record TimedStart(Process agent, Instant launched, double readySeconds, double cpuAtReady, String byThreadAtReady,
                      int readyPollMillis) {

        static TimedStart of(AgentNode net, Path launcher, Map<String, String> env, int readyPollMillis) throws Exception {
            Set<Long> earlierChildren = ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
            ReadyPoll poll = readyPollMillis < AGENT_NODE_POLL_MILLIS ? new ReadyPoll(net.node, earlierChildren, readyPollMillis) : null;
            Instant launched = Instant.now();
            Process agent;
            try {
                agent = net.startAgent(launcher, java.time.Duration.ofMinutes(3), env, "--manifests", net.manifests.toString());
            } catch (Exception | Error e) {
                if (poll != null) {
                    poll.stopWithin(0);
                }
                throw e;
            }
            Instant returned = Instant.now();
            ReadyPoll.Ready ready = poll == null ? null : poll.stopWithin(5_000);
            if (ready == null) { // AgentNode's own wait
                return new TimedStart(agent, launched, seconds(launched, returned), cpuSeconds(agent.pid()),
                        cpuByThread(agent.pid()), AGENT_NODE_POLL_MILLIS);
            }
            assertThat(ready.pid()).as("the process that answered /readyz first").isEqualTo(agent.pid());
            return new TimedStart(agent, launched, seconds(launched, ready.at()), ready.cpu(), ready.byThread(), readyPollMillis);
        }

        /** From the launch to the agent's first-sync flush; NaN for a build that does not export the stamp. */
        double programmedSeconds(String metrics) {
            return programmedSince(launched, metrics);
        }

        /**
         * Seconds from the launch to the JVM's creation (after the launcher script and exec) and the end of its
         * initialisation (its perf counters, read through jcmd), the first sync flushed and ready; then the JVM's
         * uptime at that flush. Run after the figures taken at ready: jcmd's attach starts a thread in the agent.
         */
        String timeline(String metrics) throws Exception {
            double launchedAt = epochSeconds(launched);
            double flushed = metric(metrics, FIRST_SYNC_FLUSHED);
            String counters = jcmd(agent.pid(), "PerfCounter.print");
            double vmBegin = perfCounterMillis(counters, "sun.rt.createVmBeginTime") / 1e3;
            double vmEnd = perfCounterMillis(counters, "sun.rt.createVmEndTime") / 1e3;
            String programmed = flushed > 0 ? "%.2f".formatted(flushed - launchedAt) : "n/a";
            if (vmBegin <= 0) {
                return "JVM n/a (no perf data), maps fully programmed %s, ready %.2f".formatted(programmed, readySeconds);
            }
            return "JVM created %.2f, initialised %.2f, maps fully programmed %s, ready %.2f; JVM uptime at maps programmed %s"
                    .formatted(vmBegin - launchedAt, vmEnd - launchedAt, programmed, readySeconds,
                            flushed > 0 ? "%.2f s".formatted(flushed - vmBegin) : "n/a");
        }

        private static double perfCounterMillis(String counters, String name) {
            return counters.lines().filter(l -> l.startsWith(name + "=")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                    .findFirst().orElse(0);
        }

        private static double seconds(Instant from, Instant to) {
            return epochSeconds(to) - epochSeconds(from);
        }

        private static double epochSeconds(Instant t) {
            return t.getEpochSecond() + t.getNano() / 1e9;
        }
    }

    /**
     * Asks /readyz of the agent in {@code node} every {@code pollMillis} from one thread inside the node's namespace
     * (the agent's HTTP server answers from ~2.5 s into its start: before, a connect is refused by the kernel). When it
     * first answers 200 it reads the CPU time of the benchmark's new {@code java} child, the agent.
     */
    private static final class ReadyPoll {
        record Ready(Instant at, long pid, double cpu, String byThread) {
        }

        private final Thread thread;
        private volatile boolean stopped;
        private volatile Ready ready;

        ReadyPoll(Netns node, Set<Long> earlierChildren, int pollMillis) {
            thread = Thread.ofPlatform().name("bench-ready-poll").start(() -> {
                try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
                    ns.call(() -> {
                        poll(earlierChildren, pollMillis);
                        return null;
                    });
                } catch (Exception e) {
                    throw new IllegalStateException("polling /readyz", e);
                }
            });
        }

        private void poll(Set<Long> earlierChildren, int pollMillis) throws Exception {
            while (!stopped) {
                if (readyzAnswers200()) {
                    Instant at = Instant.now();
                    ProcessHandle agent = ProcessHandle.current().children()
                            .filter(p -> !earlierChildren.contains(p.pid()))
                            .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                            .findFirst().orElseThrow(() -> new IllegalStateException("/readyz answered, but no new java child"));
                    ready = new Ready(at, agent.pid(), cpuSeconds(agent.pid()), cpuByThread(agent.pid()));
                    return;
                }
                Thread.sleep(pollMillis);
            }
        }

        private static boolean readyzAnswers200() {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", AgentNode.METRICS_PORT), 1000);
                socket.setSoTimeout(5000);
                socket.getOutputStream().write("GET /readyz HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
            } catch (IOException e) {
                return false;
            }
        }

        /** Waits up to {@code millis} for the poll to see 200, then stops it; what it saw, or null. */
        Ready stopWithin(long millis) throws InterruptedException {
            thread.join(Math.max(1, millis));
            stopped = true;
            thread.join();
            return ready;
        }
    }

    /**
     * How the launcher started the agent's JVM: {@code training} (-XX:AOTCacheOutput), {@code shipped cache}
     * (-XX:AOTCache in {@code $SLUICE_AOT_SHIPPED}, by default {@code aot-shipped/} next to the jar), {@code cache} (the
     * node's own) or {@code none}.
     */
    static String aotMode(long pid) throws java.io.IOException {
        List<String> args = List.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0"));
        if (args.stream().anyMatch(a -> a.startsWith("-XX:AOTCacheOutput="))) {
            return "training";
        }
        String cache = args.stream().filter(a -> a.startsWith("-XX:AOTCache=")).findFirst().orElse(null);
        if (cache == null) {
            return "none";
        }
        String shipped = null;
        for (String variable : Files.readString(Path.of("/proc", Long.toString(pid), "environ")).split("\0")) {
            if (variable.startsWith("SLUICE_AOT_SHIPPED=")) {
                shipped = variable.substring("SLUICE_AOT_SHIPPED=".length());
            }
        }
        if (shipped == null) {
            shipped = Path.of(args.get(args.indexOf("-jar") + 1)).resolveSibling("aot-shipped").toString();
        }
        Path folder = Path.of(cache.substring("-XX:AOTCache=".length())).getParent();
        return folder.equals(Path.of(shipped)) ? "shipped cache" : "cache";
    }

    /**
     * Launcher settings (two to four) started side by side on the same workload, alternated A, B, A, B, each on a
     * fresh node (new pins, state and manifest folder): start to ready, agent CPU time (by thread, kernel share in
     * brackets) and VmRSS once synced, then medians and their ratios to A. A setting is environment assignments for
     * the launcher separated by {@code ;}; {@code launcher=PATH} instead picks another build's {@code bin/sluice}:
     * <pre>
     * -Dsluice.bench.sideBySide.a='SLUICE_AOT_DIR=off' -Dsluice.bench.sideBySide.b='SLUICE_AOT_DIR=/tmp/aot;SLUICE_AOT_SHIPPED=off'
     * -Dsluice.bench.sideBySide.c='SLUICE_AOT_DIR=/tmp/aot-c;SLUICE_AOT_SHIPPED=/tmp/aot-shipped'   (aot-train writes it first)
     * -Dsluice.bench.sideBySide.runs=3
     * -Dsluice.bench.sideBySide.b='launcher=/work/wt-base8/bin/sluice;SLUICE_JAVA_OPTS=-Xlog:gc:file=/tmp/b-%p.log'
     * -Dsluice.bench.sideBySide.a='readyPoll=200' -Dsluice.bench.sideBySide.b='readyPoll=20'
     * </pre>
     * A build without {@code sluice_first_sync_flushed_timestamp_seconds} reports its maps-programmed time as NaN.
     */
    @Test
    @EnabledIfSystemProperty(named = "sluice.bench.sideBySide.b", matches = ".+")
    void twoLauncherSettingsStartSideBySide() throws Exception {
        Map<String, Map<String, String>> settings = new LinkedHashMap<>();
        settings.put("A", environment(System.getProperty("sluice.bench.sideBySide.a", "")));
        for (String name : List.of("B", "C", "D")) {
            String setting = System.getProperty("sluice.bench.sideBySide." + name.toLowerCase());
            if (setting != null) {
                settings.put(name, environment(setting));
            }
        }
        int runs = Integer.getInteger("sluice.bench.sideBySide.runs", 3);
        Map<String, List<double[]>> figures = new LinkedHashMap<>();
        settings.forEach((name, env) -> System.out.printf("side by side, setting %s: %s%n", name, env));
        // A setting with a shipped cache folder has it written first by its launcher's aot-train (timed). One with an
        // AOT cache folder and no shipped cache starts on a node-trained cache in every run: trained (and checked) first.
        for (Map<String, String> env : settings.values()) {
            String aotDir = env.getOrDefault("SLUICE_AOT_DIR", "");
            String shippedDir = env.getOrDefault("SLUICE_AOT_SHIPPED", "");
            String launcher = env.get(LAUNCHER_SETTING);
            if (!shippedDir.isEmpty() && !shippedDir.equals("off") && !aotDir.equals("off")) {
                trainShippedCache(launcher != null ? Path.of(launcher) : AgentNode.ROOT.resolve("bin/sluice"), shippedDir);
            } else if (!aotDir.isEmpty() && !aotDir.equals("off")) {
                Map<String, String> launcherEnv = new LinkedHashMap<>(env);
                launcherEnv.remove(LAUNCHER_SETTING);
                launcherEnv.remove(READY_POLL_SETTING);
                startWithATrainedAotCache(launcher != null ? Path.of(launcher) : AgentNode.ROOT.resolve("bin/sluice"), launcherEnv);
            }
        }
        for (int run = 0; run < runs; run++) {
            for (Map.Entry<String, Map<String, String>> setting : settings.entrySet()) {
                try (AgentNode net = new AgentNode()) {
                    writeManifests(net);
                    Map<String, String> env = new LinkedHashMap<>(setting.getValue());
                    String launcher = env.remove(LAUNCHER_SETTING);
                    String readyPoll = env.remove(READY_POLL_SETTING);
                    TimedStart started = TimedStart.of(net, launcher != null ? Path.of(launcher) : AgentNode.ROOT.resolve("bin/sluice"),
                            env, readyPoll != null ? Integer.parseInt(readyPoll.strip()) : READY_POLL_MILLIS);
                    Process agent = started.agent();
                    double wall = started.readySeconds();
                    double cpu = started.cpuAtReady();
                    String metrics = net.httpGet("/metrics");
                    double sync = metric(metrics, "sluice_sync_duration_seconds_sum");
                    double programmed = started.programmedSeconds(metrics);
                    assertThat(pinnedSize(net.pins, MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC)).isEqualTo(SERVICES * ENDPOINTS);
                    long rss = vmRssKib(agent.pid());
                    System.out.printf("  run %d, %s: maps fully programmed %.2f s, start to ready %.2f s (/readyz every %d ms; JVM and start-up"
                                    + " %.2f s), AOT %s, agent CPU %.2f s, VmRSS synced %d MiB (%s), page faults %d, context switches %s,"
                                    + " load %s%n    CPU by thread (s; kernel s, page faults in brackets): %s%n    timeline from the launch (s): %s%n",
                            run + 1, setting.getKey(), programmed, wall, started.readyPollMillis(), wall - sync, aotMode(agent.pid()), cpu,
                            rss / 1024, rssParts(agent.pid()), minorFaults(agent.pid()), contextSwitches(agent.pid()), loadAverage(),
                            started.byThreadAtReady(), started.timeline(metrics));
                    figures.computeIfAbsent(setting.getKey(), k -> new ArrayList<>())
                            .add(new double[] {wall, cpu, rss / 1024.0, programmed, wall - programmed});
                }
            }
        }
        double[] a = medians(figures.get("A"));
        figures.forEach((name, rows) -> {
            double[] m = medians(rows);
            System.out.printf("side by side, medians of %d runs, %s: maps fully programmed %.2f s (%s/A %.2f), start to ready %.2f s (%.2f),"
                    + " ready after programmed %.2f s, agent CPU %.2f s (%.2f), VmRSS synced %.0f MiB (%.2f)%n", runs, name, m[3], name,
                    m[3] / a[3], m[0], m[0] / a[0], m[4], m[1], m[1] / a[1], m[2], m[2] / a[2]);
        });
    }

    /** The side-by-side assignment that names a launcher rather than an environment variable. */
    private static final String LAUNCHER_SETTING = "launcher";
    /** The side-by-side assignment that sets how often /readyz is polled (ms) rather than an environment variable. */
    private static final String READY_POLL_SETTING = "readyPoll";

    /**
     * CPU time of the process's threads so far, by name with digits folded ("VM Thread" is the serial collector's
     * pauses, "C1 CompilerThre" the JIT, "java" is the main thread, which loads the data path), largest first, with
     * the kernel's share and the thread's page faults (thousands, "kf") in brackets (the BPF maps' creation and the
     * verifier are kernel time; a first touch of a page costs ~20-25 µs here, mostly counted as user time).
     */
    static String cpuByThread(long pid) throws java.io.IOException {
        Map<String, double[]> seconds = new HashMap<>();
        double tick = 100.0; // USER_HZ
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (java.io.IOException e) {
                    continue; // the thread ended
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "#");
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // After the name: state is field 3 of stat(5); utime and stime are fields 14 and 15.
                double user = Long.parseLong(fields[11]) / tick;
                double kernel = Long.parseLong(fields[12]) / tick;
                double faults = Long.parseLong(fields[7]);
                seconds.merge(name, new double[] {user + kernel, kernel, faults},
                        (a, b) -> new double[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
            }
        }
        StringBuilder sb = new StringBuilder();
        seconds.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]))
                .filter(e -> e.getValue()[0] >= 0.05)
                .forEach(e -> sb.append(sb.isEmpty() ? "" : ", ").append(e.getKey())
                        .append(String.format(" %.2f", e.getValue()[0]))
                        .append(String.format(" (%.2f, %.1f kf)", e.getValue()[1], e.getValue()[2] / 1000)));
        return sb.toString();
    }

    /**
     * The process's minor page faults so far (/proc/PID/stat field 10): each first touch of a page. On this machine's
     * virtualisation one costs ~20-25 µs of the faulting thread's CPU, mostly counted as user time.
     */
    static long minorFaults(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    }

    /**
     * The context switches of the process's live threads so far, voluntary (a thread waited) and involuntary (the
     * scheduler took the core away: how contended the cores were), from /proc/PID/task/TID/status.
     */
    static String contextSwitches(long pid) throws java.io.IOException {
        long voluntary = 0;
        long involuntary = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            voluntary += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                            involuntary += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        }
                    }
                } catch (java.io.IOException e) {
                    // the thread ended
                }
            }
        }
        return voluntary + " voluntary, " + involuntary + " involuntary";
    }

    /** {@code NAME=VALUE;NAME=VALUE} as a map; a value may hold spaces and further {@code =}. */
    private static Map<String, String> environment(String assignments) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String assignment : assignments.split(";")) {
            if (!assignment.isBlank()) {
                int eq = assignment.indexOf('=');
                assertThat(eq).as("side-by-side setting '%s' is NAME=VALUE", assignment).isPositive();
                env.put(assignment.substring(0, eq).strip(), assignment.substring(eq + 1));
            }
        }
        return env;
    }

    static double[] medians(List<double[]> rows) {
        double[] medians = new double[rows.getFirst().length];
        for (int i = 0; i < medians.length; i++) {
            int column = i;
            double[] sorted = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
            medians[i] = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        }
        return medians;
    }

    /** The start's manifest folder: one file per Service, holding the Service and its slice of endpoints. */
    private static void writeManifests(AgentNode net) throws IOException {
        for (int s = 0; s < SERVICES; s++) {
            Files.writeString(net.manifests.resolve(fileOf(s)), yaml(s, 0));
        }
    }

    private static String fileOf(int s) {
        return "svc-%05d.yaml".formatted(s);
    }

    /** Service {@code s} and its slice; generation {@code g} moves endpoint {@code g % ENDPOINTS} to a new address. */
    private static String yaml(int s, int g) {
        StringBuilder sb = new StringBuilder("""
                apiVersion: v1
                kind: Service
                metadata: {name: svc-%d, namespace: bench}
                spec:
                  clusterIP: %s
                  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: svc-%d-1
                  namespace: bench
                  labels: {kubernetes.io/service-name: svc-%d}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                """.formatted(s, clusterIp(s), s, s));
        for (int k = 0; k < ENDPOINTS; k++) {
            sb.append("- {addresses: [").append(endpointIp(s, k, g)).append("], conditions: {ready: true}}\n");
        }
        return sb.toString();
    }

    // ---- the pipeline on pinned maps --------------------------------------------------------------------------

    @Test
    void anEndpointSliceChangeReachesThePinnedMapsWithinMilliseconds() throws Exception {
        Path state = Files.createTempDirectory("sluice-bench-state-");
        try (Topology topology = new Topology();
             BpfObject sock = BpfObject.open(BpfObjectFile.SOCK.bytes(), BpfObjectFile.SOCK.baseName())) {
            Path pins = topology.bpfDirectory("bench");
            sock.pinMapsUnder(pins);
            sock.load(); // programs loaded, never attached: only the maps matter here
            AgentMetrics metrics = new AgentMetrics();
            ServiceMaps maps = ServiceMaps.of(sock);
            StableIdAllocator frontendIds = ServiceIds.openFrontendIds(state);
            StableIdAllocator backendIds = ServiceIds.openBackendIds(state);
            ServiceReconciler reconciler = new ServiceReconciler(
                    new ServiceTranslator(new ServiceLbConfig(16381, ServiceLbConfig.DEFAULT_MAX_BACKENDS_PER_SERVICE),
                            NodeContext.parse("node-1", List.of(), List.of())),
                    maps, frontendIds, backendIds, metrics).owning(maps).owning(frontendIds).owning(backendIds);
            InMemoryServiceSource source = new InMemoryServiceSource();
            for (int s = 0; s < SERVICES; s++) {
                source.put(service(s));
                source.put(slice(s, 0));
            }
            StateWriter writer = new StateWriter(new EventQueue(1 << 16, metrics), List.of(source), List.of(reconciler), metrics);
            AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 1_000_000),
                    Throwable::printStackTrace, null, writer);
            long start = System.nanoTime();
            AgentRunner.startOnThread(runner);
            source.start(writer.channelOf(source));
            while (!writer.status().ready()) {
                Thread.sleep(5);
            }
            double syncSeconds = (System.nanoTime() - start) / 1e9;
            // The writer thread's own CPU time: on a shared machine it moves less with the load than the wall time.
            long writerCpuNanos = ManagementFactory.getThreadMXBean().getThreadCpuTime(runner.thread().threadId());
            System.out.printf("pipeline on pinned maps: first sync and flush of %d services x %d endpoints: %.2f s "
                            + "(writer thread CPU %.2f s; load average %s)%n", SERVICES, ENDPOINTS, syncSeconds,
                    writerCpuNanos / 1e9, Files.readString(Path.of("/proc/loadavg")).trim());

            LinkedBlockingQueue<Change> published = new LinkedBlockingQueue<>();
            // Every 20 µs: the pipeline's latencies here are tenths of a millisecond. At 250 µs a change not visible at
            // the first check read ~0.3 or ~0.6 ms whatever the pipeline did: the same build's p50 read 0.55-0.63 ms
            // against 0.32-0.44 ms at 20 µs.
            Verifier verifier = new Verifier(pins, published, 20);
            Thread verifierThread = Thread.ofPlatform().name("bench-verifier").start(verifier);
            int[] generation = new int[SERVICES];
            int changes = CHANGES_PER_SECOND * CHURN_SECONDS;
            long next = System.nanoTime();
            for (int i = 0; i < changes; i++) {
                int s = ThreadLocalRandom.current().nextInt(SERVICES);
                int g = ++generation[s];
                EndpointSlice slice = slice(s, g);
                source.put(slice);
                long at = System.nanoTime();
                published.add(new Change(s, endpointIp(s, (g - 1) % ENDPOINTS, g), at));
                source.channel.publish(ResourceKind.ENDPOINT_SLICE, false, slice);
                next += TimeUnit.SECONDS.toNanos(1) / CHANGES_PER_SECOND;
                LockSupport.parkNanos(next - System.nanoTime());
            }
            published.add(Change.END);
            verifierThread.join();
            runner.close();
            reconciler.close();

            long[] latencies = verifier.latencies();
            assertThat(latencies).as("every change seen in the pinned maps").hasSize(changes).doesNotContain(Verifier.NOT_SEEN);
            Arrays.sort(latencies);
            System.out.printf("pipeline on pinned maps: %d endpoint changes at %d/s, arrival to visible in the pinned maps: "
                            + "p50 %.3f ms, p99 %.3f ms, max %.3f ms%n", changes, CHANGES_PER_SECOND,
                    latencies[changes / 2] / 1e6, latencies[(int) (changes * 0.99)] / 1e6, latencies[changes - 1] / 1e6);
        } finally {
            Topology.deleteTree(state);
        }
    }

    /** A change published at {@code publishedNanos}: service {@code s} now has an endpoint at {@code address}. */
    record Change(int s, String address, long publishedNanos) {
        static final Change END = new Change(-1, null, 0);
    }

    /**
     * Reads the pinned maps through its own descriptors until each published change is visible, a check (~20 map
     * lookups) every {@code pollMicros} ({@code -Dsluice.bench.verifyPollMicros} overrides): a latency is overstated
     * by up to that plus the timer's slack, so the poll must be fine next to the latencies measured.
     */
    static final class Verifier implements Runnable {
        /** The latency recorded for a change not visible within 5 s (the verifier then goes on with the next). */
        static final long NOT_SEEN = Long.MAX_VALUE;
        private final Path pins;
        private final LinkedBlockingQueue<Change> published;
        private final long pollNanos;
        private final List<Long> latencies = new ArrayList<>();

        Verifier(Path pins, LinkedBlockingQueue<Change> published, long pollMicros) {
            this.pins = pins;
            this.published = published;
            this.pollNanos = Long.getLong("sluice.bench.verifyPollMicros", pollMicros) * 1_000;
        }

        @Override
        public void run() {
            try (BpfMap servicesMap = BpfMap.openPinned(pins.resolve(MapName.LB4_SERVICES.cName()));
                 BpfMap slotsMap = BpfMap.openPinned(pins.resolve(MapName.LB4_SLOTS.cName()));
                 BpfMap backendsMap = BpfMap.openPinned(pins.resolve(MapName.LB4_BACKENDS.cName()));
                 TypedMap<Lb4Key, Lb4Service> services = new TypedMap<>(servicesMap, Lb4Key.CODEC, Lb4Service.CODEC);
                 TypedMap<Lb4SlotKey, Integer> slots = new TypedMap<>(slotsMap, Lb4SlotKey.CODEC, Codec.UINT32);
                 TypedMap<Integer, Lb4Backend> backends = new TypedMap<>(backendsMap, Codec.UINT32, Lb4Backend.CODEC)) {
                while (true) {
                    Change c = published.take();
                    if (c == Change.END) {
                        return;
                    }
                    Lb4Key frontend = new Lb4Key(Ipv4.parse(clusterIp(c.s())), 80, IpProtocol.TCP, LbScope.INTERNAL);
                    Ipv4 wanted = Ipv4.parse(c.address());
                    long deadline = c.publishedNanos() + TimeUnit.SECONDS.toNanos(5);
                    boolean seen;
                    while (!(seen = visible(services, slots, backends, frontend, wanted)) && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(pollNanos);
                    }
                    if (seen) {
                        latencies.add(System.nanoTime() - c.publishedNanos());
                    } else {
                        System.out.printf("  service %d still lacks %s after 5 s%n", c.s(), c.address());
                        latencies.add(NOT_SEEN);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static boolean visible(TypedMap<Lb4Key, Lb4Service> services, TypedMap<Lb4SlotKey, Integer> slots,
                                       TypedMap<Integer, Lb4Backend> backends, Lb4Key frontend, Ipv4 wanted) {
            Lb4Service service = services.get(frontend).orElse(null);
            if (service == null) {
                return false;
            }
            for (int slot = 0; slot < service.backendCount(); slot++) {
                Integer id = slots.get(new Lb4SlotKey(service.serviceId(), slot)).orElse(null);
                Lb4Backend backend = id == null ? null : backends.get(id).orElse(null);
                if (backend != null && backend.address().equals(wanted)) {
                    return true;
                }
            }
            return false;
        }

        long[] latencies() {
            return latencies.stream().mapToLong(Long::longValue).toArray();
        }
    }


    private static Service service(int s) {
        return new ServiceBuilder().withNewMetadata().withNamespace("bench").withName("svc-" + s).endMetadata()
                .withNewSpec().withClusterIP(clusterIp(s)).withClusterIPs(clusterIp(s))
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(8080).endPort()
                .endSpec().build();
    }

    private static EndpointSlice slice(int s, int g) {
        EndpointSliceBuilder b = new EndpointSliceBuilder()
                .withNewMetadata().withNamespace("bench").withName("svc-" + s + "-1")
                .addToLabels("kubernetes.io/service-name", "svc-" + s).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort();
        for (int k = 0; k < ENDPOINTS; k++) {
            b.addNewEndpoint().withAddresses(endpointIp(s, k, g)).withNewConditions().withReady(true).endConditions().endEndpoint();
        }
        return b.build();
    }

    static String clusterIp(int s) {
        return "10.96." + (s >> 8) + "." + (s & 255);
    }

    /**
     * Endpoint {@code k} of service {@code s} at generation {@code g}: the generation counts for the endpoint that
     * generation moved ({@code g % ENDPOINTS}) and the ones moved before it, so each change introduces one address.
     */
    static String endpointIp(int s, int k, int g) {
        int moves = g <= k ? 0 : (g - k - 1) / ENDPOINTS + 1; // how many times endpoint k moved by generation g
        int n = (s * ENDPOINTS + k) + moves * SERVICES * ENDPOINTS;
        return (11 + (n >> 24)) + "." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    static <K, V> int pinnedSize(Path pins, MapName name, Codec<K> key, Codec<V> value) {
        try (BpfMap map = BpfMap.openPinned(pins.resolve("maps").resolve(name.cName()));
             TypedMap<K, V> typed = new TypedMap<>(map, key, value)) {
            return typed.entries().size();
        }
    }

    static long vmRssKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    /**
     * VmRSS split as the kernel counts it: anonymous (heap, stacks, malloc), file-backed (jars, AOT cache, mapped files),
     * shared; and its peak so far (VmHWM: what a pod's memory limit must hold, the start's heap before HeapTrim included).
     */
    static String rssParts(long pid) throws Exception {
        List<String> parts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("RssAnon:") || line.startsWith("RssFile:") || line.startsWith("RssShmem:")
                    || line.startsWith("VmHWM:")) {
                String name = line.startsWith("VmHWM:") ? "peak" : line.substring(3, line.indexOf(':'));
                parts.add(name + " " + Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024);
            }
        }
        return String.join(", ", parts) + " MiB";
    }

    static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    static String loadAverage() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }

    /** With {@code -XX:NativeMemoryTracking=summary} in the agent's options: the JVM's committed memory by area. */
    static void nativeMemory(long pid, String javaOpts) throws Exception {
        if (!javaOpts.contains("NativeMemoryTracking")) {
            return;
        }
        String jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd").toString();
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), "VM.native_memory", "summary", "scale=MB")
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        List<String> areas = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^[-\\s]*([A-Z][\\w ]*?)(?:: | \\()reserved=\\d+MB, committed=(\\d+)MB")
                .matcher(text);
        while (m.find()) {
            if (!m.group(2).equals("0")) {
                areas.add(m.group(1).strip() + " " + m.group(2));
            }
        }
        System.out.printf("  JVM committed memory by area (MiB, NMT): %s%n", String.join(", ", areas));
    }

    /** What {@code jcmd PID COMMAND...} prints (standard output and error). */
    static String jcmd(long pid, String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of(
                Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd").toString(), Long.toString(pid)));
        line.addAll(List.of(command));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        return text;
    }

    /** The heap in use right after a full collection (jcmd GC.run, then GC.heap_info): what the agent really holds. */
    static String liveHeap(long pid) throws Exception {
        jcmd(pid, "GC.run");
        String text = jcmd(pid, "GC.heap_info");
        // G1 prints one heap line, Serial and Parallel one line per generation; metaspace lines also say "used".
        long usedKib = 0;
        boolean found = false;
        for (String line : text.lines().filter(l -> !l.contains("Metaspace") && !l.contains("class space")).toList()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(line);
            if (m.find()) {
                usedKib += Long.parseLong(m.group(1));
                found = true;
            }
        }
        return found ? usedKib / 1024 + " MiB" : "unknown (" + text.strip() + ")";
    }

    static double metric(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The histogram's cumulative buckets in {@code after} minus those in {@code before}: what was observed between. */
    static String bucketsSince(String before, String after, String histogram) {
        Map<String, Double> earlier = bucketCounts(before, histogram);
        List<String> shown = new ArrayList<>();
        bucketCounts(after, histogram).forEach((le, count) ->
                shown.add(le + " " + Math.round(count - earlier.getOrDefault(le, 0.0))));
        return String.join(", ", shown);
    }

    /** The upper bound of the bucket holding quantile {@code q} of what was observed between the two scrapes. */
    static String quantileSince(String before, String after, String histogram, double q) {
        Map<String, Double> earlier = bucketCounts(before, histogram);
        Map<String, Double> later = bucketCounts(after, histogram);
        double total = later.getOrDefault("le=+Inf", 0.0) - earlier.getOrDefault("le=+Inf", 0.0);
        if (total == 0) {
            return "n/a (nothing flushed)";
        }
        for (Map.Entry<String, Double> e : later.entrySet()) {
            if (e.getValue() - earlier.getOrDefault(e.getKey(), 0.0) >= q * total) {
                String le = e.getKey().substring("le=".length());
                return le.equals("+Inf") ? "> 30 s" : "<= " + Double.parseDouble(le) * 1000 + " ms";
            }
        }
        return "n/a";
    }

    private static Map<String, Double> bucketCounts(String scrape, String histogram) {
        Map<String, Double> counts = new LinkedHashMap<>();
        scrape.lines().filter(l -> l.startsWith(histogram + "_bucket")).forEach(l -> counts.merge(
                l.substring(l.indexOf("le="), l.lastIndexOf(' ')).replace("\"", "").replace("}", ""),
                Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)), Double::sum));
        return counts;
    }
}
