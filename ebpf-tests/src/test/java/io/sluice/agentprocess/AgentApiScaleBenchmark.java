package io.sluice.agentprocess;

import static io.sluice.agentprocess.AgentScaleBenchmark.bucketsSince;
import static io.sluice.agentprocess.AgentScaleBenchmark.clusterIp;
import static io.sluice.agentprocess.AgentScaleBenchmark.cpuSeconds;
import static io.sluice.agentprocess.AgentScaleBenchmark.endpointIp;
import static io.sluice.agentprocess.AgentScaleBenchmark.liveHeap;
import static io.sluice.agentprocess.AgentScaleBenchmark.loadAverage;
import static io.sluice.agentprocess.AgentScaleBenchmark.medians;
import static io.sluice.agentprocess.AgentScaleBenchmark.metric;
import static io.sluice.agentprocess.AgentScaleBenchmark.nativeMemory;
import static io.sluice.agentprocess.AgentScaleBenchmark.pinnedSize;
import static io.sluice.agentprocess.AgentScaleBenchmark.quantileSince;
import static io.sluice.agentprocess.AgentScaleBenchmark.rssParts;
import static io.sluice.agentprocess.AgentScaleBenchmark.vmRssKib;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sluice.agent.testsupport.WatchClosingAside;
import io.sluice.agentapi.ListWatchApiServer;
import io.sluice.maps.Codec;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.MapName;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The agent process on the production path at scale: the real launcher with a kubeconfig, against an API server
 * that holds 10,000 Services × 10 endpoints (one EndpointSlice each) before the agent starts, on real pinned maps.
 * Prints start to ready (maps fully programmed), the agent's CPU time and VmRSS once synced, then updates
 * EndpointSlices through the API at 1,000/s and prints the agent's own {@code sluice_event_to_map_latency_seconds}
 * over the churn (published against flushed), and, measured outside the agent by a thread reading the pinned maps,
 * update published to the watch -> its new address visible (whole churn, after its first seconds, p99 per 5 s), as
 * {@link AgentScaleBenchmark} does for a manifest folder. Asserts only correctness (every frontend and backend
 * programmed, nothing failed). Opt-in:
 * <pre>
 * mvn -pl ebpf-tests -am test -Dtest=AgentApiScaleBenchmark -Dsluice.bench=true
 *   [-Dsluice.bench.churnSeconds=10] [-Dsluice.bench.runs=1] [-Dsluice.bench.launcher=OTHER/bin/sluice]
 *   [-Dsluice.bench.compareLauncher=OTHER/bin/sluice[,THIRD/bin/sluice]] (alternated with A, medians and ratios)
 *   [-Dsluice.bench.agentJavaOpts='-XX:StartFlightRecording=filename=/tmp/agent.jfr'] (SLUICE_JAVA_OPTS of the agent)
 *   [-Dsluice.bench.managedFields=true] (objects with the managedFields a real API server sends with them)
 *   [-Dsluice.bench.targetRef=true] (each endpoint with the Pod targetRef the endpointslice controller writes)
 *   [-Dsluice.bench.pods=N] (N Pods as a real API server sends a Deployment's, on another node; default 0)
 *   [-Dsluice.bench.agentLog=true] (prints the agent's log; with agentJavaOpts
 *    '-Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.log.io.fabric8=debug': a timeline of the start)
 * </pre>
 * The API server is {@link ListWatchApiServer} (objects serialized once, lists and watch streams of those bytes) in
 * the test's JVM, whose CPU time over the churn is printed too; fabric8's CRUD mock server does not keep up at this
 * scale ({@link #theMockApiServerAtThisScale} prints why).
 */
@ScaleBenchmark
class AgentApiScaleBenchmark {
    private static final int SERVICES = ScaleBenchmark.SERVICES;
    private static final int ENDPOINTS = ScaleBenchmark.ENDPOINTS;
    private static final int CHANGES_PER_SECOND = ScaleBenchmark.CHANGES_PER_SECOND;
    private static final int API_PORT = 6443;
    private static final int CHURN_SECONDS = Integer.getInteger(ScaleBenchmark.CHURN_SECONDS_PROPERTY, 10);
    /** The churn's first seconds, reported apart too: both JVMs compile the churn path then. */
    private static final int WARMUP_SECONDS = 2;
    /** How long the churn waits for the agent's EndpointSlice watch to open (the server replays nothing). */
    private static final Duration WATCH_OPEN_WITHIN = Duration.ofSeconds(30);
    private static final List<ServiceManifests.Port> PORTS = List.of(new ServiceManifests.Port("http", 80, 8080, "TCP"));

    /**
     * {@code -Dsluice.bench.managedFields=true}: each Service and EndpointSlice carries the {@code managedFields} entry a
     * real API server sends with it (kubectl's client-side apply for a Service, kube-controller-manager for a slice).
     */
    private static final boolean MANAGED_FIELDS = Boolean.getBoolean("sluice.bench.managedFields");
    /**
     * {@code -Dsluice.bench.targetRef=true}: each endpoint carries the {@code targetRef} kube-controller-manager's
     * endpointslice controller writes, its Pod (a name of the Service's and five random characters, the slice's
     * namespace, a uid), stable while the endpoint's address is.
     */
    private static final boolean TARGET_REF = Boolean.getBoolean("sluice.bench.targetRef");
    /**
     * {@code -Dsluice.bench.pods=N}: the Pods behind the first N endpoints (their names and addresses), each as a real
     * API server sends a Deployment's Pod (a container with ports, env, resources, a probe and the service account's
     * projected volume; status with conditions and a container status), on another node than the agent's.
     */
    private static final int PODS = Integer.getInteger("sluice.bench.pods", 0);
    /** The characters of a generated name's random suffix (Kubernetes' own alphabet for them). */
    private static final String NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

    static final String SERVICES_PATH = "/api/v1/services";
    static final String SLICES_PATH = "/apis/discovery.k8s.io/v1/endpointslices";

    private final KubernetesSerialization serialization = new KubernetesSerialization();

    @Test
    void theAgentProcessProgramsTenThousandServicesFromTheApi() throws Exception {
        Path launcher = Path.of(System.getProperty("sluice.bench.launcher", AgentNode.ROOT.resolve("bin/sluice").toString()));
        String other = System.getProperty("sluice.bench.compareLauncher", "");
        Map<String, Path> launchers = new LinkedHashMap<>();
        launchers.put("A", launcher);
        char letter = 'B';
        for (String path : other.split(",")) {
            if (!path.isBlank()) {
                launchers.put(String.valueOf(letter++), Path.of(path.strip()));
            }
        }
        int runs = Integer.getInteger("sluice.bench.runs", 1);
        launchers.forEach((name, path) -> System.out.printf("launcher %s: %s%n", name, path));
        Map<String, List<double[]>> figures = new LinkedHashMap<>();
        for (int run = 0; run < runs; run++) {
            for (Map.Entry<String, Path> l : launchers.entrySet()) {
                System.out.printf("run %d, launcher %s:%n", run + 1, l.getKey());
                figures.computeIfAbsent(l.getKey(), k -> new ArrayList<>()).add(runOnce(l.getValue()));
            }
        }
        double[] a = medians(figures.get("A"));
        figures.forEach((name, rows) -> {
            double[] m = medians(rows);
            System.out.printf("medians of %d runs, %s: start to maps fully programmed %.2f s (%s/A %.2f), to ready %.2f s (%.2f),"
                            + " agent CPU to ready %.2f s (%.2f), VmRSS synced %.0f MiB (%.2f), churn agent CPU %.2f s (%.2f),"
                            + " flushed/published %.3f, published -> visible p99 %.2f ms (%.2f)%n",
                    rows.size(), name, m[6], name, m[6] / a[6], m[0], m[0] / a[0], m[1], m[1] / a[1], m[2], m[2] / a[2], m[3],
                    m[3] / a[3], m[4], m[5], m[5] / a[5]);
        });
    }

    /** One fresh node, API server and agent: start to ready, CPU, VmRSS, then the churn. */
    private double[] runOnce(Path launcher) throws Exception {
        try (AgentNode net = new AgentNode(); ListWatchApiServer api = populated(ListWatchApiServer.start(net.node, API_PORT))) {
            // The churn's slices, serialized ahead: one endpoint of a random Service's slice moves per update.
            int[] generation = new int[SERVICES];
            List<ListWatchApiServer.Change> churn = new ArrayList<>();
            List<AgentScaleBenchmark.Change> moves = new ArrayList<>(); // the endpoint each change moves, for the verifier
            for (int i = 0; i < CHURN_SECONDS * CHANGES_PER_SECOND; i++) {
                int s = ThreadLocalRandom.current().nextInt(SERVICES);
                int g = ++generation[s];
                churn.add(api.prepare(SLICES_PATH, slice(s, g)));
                moves.add(new AgentScaleBenchmark.Change(s, endpointIp(s, (g - 1) % ENDPOINTS, g), 0));
            }
            long start = System.nanoTime();
            Instant launched = Instant.now();
            Process agent = net.startAgent(launcher, Duration.ofMinutes(3),
                    Map.of("SLUICE_JAVA_OPTS", System.getProperty("sluice.bench.agentJavaOpts", "")),
                    "--kubeconfig", ListWatchApiServer.kubeconfig(net.state, API_PORT).toString());
            double total = (System.nanoTime() - start) / 1e9;
            double cpuAtReady = cpuSeconds(agent.pid());
            long serverCpuAtReady = api.cpuNanos();
            String atReady = net.httpGet("/metrics");
            double sync = metric(atReady, "sluice_sync_duration_seconds_sum");
            double programmed = AgentScaleBenchmark.programmedSince(launched, atReady);
            assertThat(pinnedSize(net.pins, MapName.LB4_SERVICES, Lb4Key.CODEC, Lb4Service.CODEC)).isEqualTo(SERVICES);
            assertThat(pinnedSize(net.pins, MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC)).isEqualTo(SERVICES * ENDPOINTS);
            long rssSynced = vmRssKib(agent.pid());
            System.out.printf("  agent process (%s, --kubeconfig), %d services x %d endpoints from the API (%d objects listed):%n",
                    launcher, SERVICES, ENDPOINTS, 2 * SERVICES + PODS);
            if (!Double.isNaN(programmed)) { // NaN: a build without the stamp (-Dsluice.bench.compareLauncher)
                assertThat(programmed).as("launch to the agent's first sync flushed, against launch to ready").isBetween(0.0, total);
            }
            System.out.printf("  start to maps fully programmed (the agent's first-sync flush, sluice_first_sync_flushed_timestamp_seconds,"
                    + " against the launch): %.2f s; ready %.2f s after that (HeapTrim's first full collection, the poll)%n",
                    programmed, total - programmed);
            System.out.printf("  start to ready (/readyz 200): %.2f s = JVM, start-up and list %.2f s + first sync and flush"
                    + " %.2f s; agent CPU time to ready %.2f s; API server threads CPU %.2f s; queue overflows %d (load average %s)%n",
                    total, total - sync, sync, cpuAtReady, serverCpuAtReady / 1e9,
                    Math.round(metric(atReady, "sluice_event_queue_overflows_total")), loadAverage());
            System.out.printf("  agent CPU to ready by thread (s): %s%n", cpuByThread(agent.pid()));
            System.out.printf("  VmRSS once synced: %d MiB (%s)%n", rssSynced / 1024, rssParts(agent.pid()));
            nativeMemory(agent.pid(), System.getProperty("sluice.bench.agentJavaOpts", ""));
            System.out.printf("  the agent's requests: %s%n", api.requests());

            // Ready means listed; the watch may open a little later, and a change published before it is lost.
            awaitWatchOpen(api, SLICES_PATH);
            // Churn: 1,000 slice updates per second through the watch.
            double agentCpuBefore = cpuSeconds(agent.pid());
            Map<String, Double> threadCpuBefore = cpuSecondsByThread(agent.pid());
            long testCpuBefore = ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
            long serverCpuBefore = api.cpuNanos();
            // A thread of this JVM reads the pinned maps until each update's new address is visible: published to the
            // watch -> in the maps, measured outside the agent (its own histogram starts once fabric8 has parsed the
            // event, so it cannot see a pause that stops the agent's every thread).
            LinkedBlockingQueue<AgentScaleBenchmark.Change> published = new LinkedBlockingQueue<>();
            AgentScaleBenchmark.Verifier verifier = new AgentScaleBenchmark.Verifier(net.pins.resolve("maps"), published, 250);
            Thread verifierThread = Thread.ofPlatform().name("bench-verifier").start(verifier);
            long next = System.nanoTime();
            int updates = 0;
            for (ListWatchApiServer.Change change : churn) {
                AgentScaleBenchmark.Change move = moves.get(updates);
                long now = System.nanoTime();
                api.publish(change);
                published.add(new AgentScaleBenchmark.Change(move.s(), move.address(), now));
                updates++;
                next += TimeUnit.SECONDS.toNanos(1) / CHANGES_PER_SECOND;
                LockSupport.parkNanos(next - System.nanoTime());
            }
            published.add(AgentScaleBenchmark.Change.END);
            verifierThread.join();
            long[] visible = verifier.latencies();
            assertThat(visible).as("every update's new address looked for in the pinned maps").hasSize(updates);
            double testCpu = (ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() - testCpuBefore) / 1e9;
            AgentNode.awaitQuietly(Duration.ofSeconds(2));
            double agentCpu = cpuSeconds(agent.pid()) - agentCpuBefore;
            String churnCpuByThread = cpuByThreadSince(threadCpuBefore, cpuSecondsByThread(agent.pid()));
            String after = net.httpGet("/metrics");
            long events = Math.round(metric(after, "sluice_events_received_total") - metric(atReady, "sluice_events_received_total"));
            long flushed = Math.round(metric(after, "sluice_event_to_map_latency_seconds_count")
                    - metric(atReady, "sluice_event_to_map_latency_seconds_count"));
            System.out.printf("  agent's event-to-map histogram over the churn (at the end minus at ready): %s%n",
                    bucketsSince(atReady, after, "sluice_event_to_map_latency_seconds"));
            System.out.printf("  churn: %d slice updates in %d s, %d events published, %d flushed 2 s after the last update, queue"
                            + " overflows %d; event-to-map p50 %s, p99 %s (bucket upper bounds); agent CPU %.2f s over the churn"
                            + " and 2 s after; test JVM (API server publishing prepared updates) %.2f s, of it server threads %.2f s"
                            + " (load average %s)%n",
                    updates, CHURN_SECONDS, events, flushed,
                    Math.round(metric(after, "sluice_event_queue_overflows_total") - metric(atReady, "sluice_event_queue_overflows_total")),
                    quantileSince(atReady, after, "sluice_event_to_map_latency_seconds", 0.5),
                    quantileSince(atReady, after, "sluice_event_to_map_latency_seconds", 0.99),
                    agentCpu, testCpu, (api.cpuNanos() - serverCpuBefore) / 1e9, loadAverage());
            System.out.printf("  agent CPU over the churn and 2 s after, by thread (s): %s%n", churnCpuByThread);
            printVisible(visible);
            System.out.printf("  VmRSS after the churn: %d MiB (%s); live heap after a full GC: %s%n",
                    vmRssKib(agent.pid()) / 1024, rssParts(agent.pid()), liveHeap(agent.pid()));
            String log = net.logOf(agent);
            List<String> warnings = log.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
            System.out.printf("  agent log: %d warnings and errors%s%n", warnings.size(),
                    warnings.stream().limit(3).map(l -> "\n    " + l).reduce("", String::concat));
            assertThat(log).doesNotContain("flush failed");
            if (Boolean.getBoolean("sluice.bench.agentLog")) {
                System.out.printf("  agent log:%n%s", log.lines().map(l -> "    " + l + "\n").reduce("", String::concat));
            }
            long[] sorted = visible.clone();
            Arrays.sort(sorted);
            return new double[] {total, cpuAtReady, rssSynced / 1024.0, agentCpu, events == 0 ? 0 : (double) flushed / events,
                    sorted[(int) (sorted.length * 0.99)] / 1e6, programmed};
        }
    }

    /**
     * Published to the watch -> visible in the pinned maps, in publishing order ({@link #CHANGES_PER_SECOND} a second):
     * over the whole churn, after its first {@value #WARMUP_SECONDS} s (both JVMs compile the churn path then), and p99
     * per second, which shows a pause (a full collection) and the backlog behind it where a whole-churn p99 hides it.
     */
    private static void printVisible(long[] visible) throws Exception {
        long[] sorted = visible.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        long[] steady = Arrays.copyOfRange(visible, Math.min(n, WARMUP_SECONDS * CHANGES_PER_SECOND), n);
        Arrays.sort(steady);
        StringBuilder windows = new StringBuilder();
        int window = CHANGES_PER_SECOND;
        for (int from = 0; from < n; from += window) {
            long[] w = Arrays.copyOfRange(visible, from, Math.min(n, from + window));
            Arrays.sort(w);
            windows.append(windows.isEmpty() ? "" : " ").append(String.format("%.1f", w[(int) (w.length * 0.99)] / 1e6));
        }
        System.out.printf("  churn: published to the watch -> new address visible in the pinned maps (read by the benchmark):"
                        + " p50 %.2f ms, p99 %.2f ms, max %.2f ms, within 10 ms %.1f %%, not within 5 s %d; after the first %d s"
                        + " p99 %.2f ms; p99 per second (ms): %s (load average %s)%n",
                sorted[n / 2] / 1e6, sorted[(int) (n * 0.99)] / 1e6, sorted[n - 1] / 1e6,
                100.0 * Arrays.stream(sorted).filter(v -> v <= 10_000_000L).count() / n,
                Arrays.stream(sorted).filter(v -> v == AgentScaleBenchmark.Verifier.NOT_SEEN).count(), WARMUP_SECONDS,
                steady.length == 0 ? 0 : steady[(int) (steady.length * 0.99)] / 1e6, windows, loadAverage());
    }

    /**
     * CPU time of the process's threads so far, by name with digits folded (the vert.x event loop parses the lists,
     * "VM Thread" is the serial collector's pauses, "C1 CompilerThre" the JIT), largest first: where a start's CPU went.
     */
    static String cpuByThread(long pid) throws java.io.IOException {
        return formatted(cpuSecondsByThread(pid));
    }

    /** Each thread name's (digits folded) CPU seconds in {@code now} less those in {@code before}, largest first. */
    static String cpuByThreadSince(Map<String, Double> before, Map<String, Double> now) {
        Map<String, Double> spent = new HashMap<>(now);
        before.forEach((name, seconds) -> spent.merge(name, -seconds, Double::sum));
        return formatted(spent);
    }

    private static String formatted(Map<String, Double> seconds) {
        StringBuilder sb = new StringBuilder();
        seconds.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .filter(e -> e.getValue() >= 0.05)
                .forEach(e -> sb.append(sb.isEmpty() ? "" : ", ").append(e.getKey()).append(String.format(" %.2f", e.getValue())));
        return sb.toString();
    }

    /** CPU seconds of the process's threads so far, summed by thread name with digits folded. */
    static Map<String, Double> cpuSecondsByThread(long pid) throws java.io.IOException {
        Map<String, Double> seconds = new HashMap<>();
        double tick = 100.0; // USER_HZ
        try (var tasks = java.nio.file.Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = java.nio.file.Files.readString(task.resolve("stat"));
                } catch (java.io.IOException e) {
                    continue; // the thread ended
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "#");
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // After the name: state is field 3 of stat(5); utime and stime are fields 14 and 15.
                double cpu = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / tick;
                seconds.merge(name, cpu, Double::sum);
            }
        }
        return seconds;
    }

    /** Returns once {@code api} has a watch open on {@code path}; throws after {@link #WATCH_OPEN_WITHIN}. */
    private static void awaitWatchOpen(ListWatchApiServer api, String path) throws InterruptedException {
        long deadline = System.nanoTime() + WATCH_OPEN_WITHIN.toNanos();
        while (api.openWatches(path) == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no watch open on " + path + " after " + WATCH_OPEN_WITHIN.toSeconds()
                        + " s; requests: " + api.requests());
            }
            Thread.sleep(10);
        }
    }

    /** {@code api} serving every kind the agent watches, with the 10,000 Services and their slices in it. */
    private ListWatchApiServer populated(ListWatchApiServer api) {
        api.collection(SERVICES_PATH, "ServiceList", "v1")
                .collection(SLICES_PATH, "EndpointSliceList", "discovery.k8s.io/v1")
                .collection("/api/v1/pods", "PodList", "v1")
                .collection("/api/v1/namespaces", "NamespaceList", "v1")
                .collection("/api/v1/nodes", "NodeList", "v1")
                .collection("/apis/networking.k8s.io/v1/networkpolicies", "NetworkPolicyList", "networking.k8s.io/v1");
        for (int s = 0; s < SERVICES; s++) {
            api.put(SERVICES_PATH, service(s));
            api.put(SLICES_PATH, slice(s, 0));
        }
        for (int i = 0; i < PODS; i++) {
            api.put("/api/v1/pods", pod(i / ENDPOINTS, endpointIp(i / ENDPOINTS, i % ENDPOINTS, 0)));
        }
        return api;
    }

    /** The Pod of Service {@code s} at {@code address}, as the API server sends a Deployment's Pod. */
    private Pod pod(int s, String address) {
        String app = "svc-" + s;
        String name = podName(app, address);
        String uid = UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
        String hash = UUID.nameUUIDFromBytes(app.getBytes(StandardCharsets.UTF_8)).toString().substring(0, 10);
        String container = (uid + uid).replace("-", "").substring(0, 64);
        Pod pod = serialization.unmarshal("""
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%1$s","generateName":"%2$s-%3$s-","namespace":"default",
                 "uid":"%4$s","resourceVersion":"%6$d","creationTimestamp":"2026-11-30T06:00:00Z",
                 "labels":{"app":"%2$s","pod-template-hash":"%3$s"},"ownerReferences":[{"apiVersion":"apps/v1",
                 "kind":"ReplicaSet","name":"%2$s-%3$s","uid":"%7$s","controller":true,"blockOwnerDeletion":true}]},
                 "spec":{"volumes":[{"name":"kube-api-access-x7k2p","projected":{"sources":[{"serviceAccountToken":
                 {"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt",
                 "path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1",
                 "fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],
                 "containers":[{"name":"app","image":"registry.example.com/%2$s:1.4.2","ports":[{"name":"http",
                 "containerPort":8080,"protocol":"TCP"}],"env":[{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1",
                 "fieldPath":"metadata.name"}}},{"name":"LOG_LEVEL","value":"info"}],"resources":{"limits":{"cpu":"500m",
                 "memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},"volumeMounts":[{"name":"kube-api-access-x7k2p",
                 "readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"readinessProbe":{"httpGet":
                 {"path":"/ready","port":"http","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,
                 "failureThreshold":3},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
                 "imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,
                 "dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","nodeName":"node-2",
                 "securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready",
                 "operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable",
                 "operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,
                 "preemptionPolicy":"PreemptLowerPriority"},
                 "status":{"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True",
                 "lastTransitionTime":"2026-11-30T06:00:02Z"},{"type":"Initialized","status":"True",
                 "lastTransitionTime":"2026-11-30T06:00:00Z"},{"type":"Ready","status":"True",
                 "lastTransitionTime":"2026-11-30T06:00:05Z"},{"type":"ContainersReady","status":"True",
                 "lastTransitionTime":"2026-11-30T06:00:05Z"},{"type":"PodScheduled","status":"True",
                 "lastTransitionTime":"2026-11-30T06:00:00Z"}],"hostIP":"192.0.2.2","hostIPs":[{"ip":"192.0.2.2"}],
                 "podIP":"%5$s","podIPs":[{"ip":"%5$s"}],"startTime":"2026-11-30T06:00:00Z","containerStatuses":[{"name":"app",
                 "state":{"running":{"startedAt":"2026-11-30T06:00:01Z"}},"lastState":{},"ready":true,"restartCount":0,
                 "image":"registry.example.com/%2$s:1.4.2","imageID":"registry.example.com/%2$s@sha256:%8$s",
                 "containerID":"containerd://%8$s","started":true}],"qosClass":"Burstable"}}""".formatted(name, app, hash, uid,
                address, 100 + s, UUID.nameUUIDFromBytes((app + hash).getBytes(StandardCharsets.UTF_8)), container), Pod.class);
        if (MANAGED_FIELDS) {
            pod.getMetadata().setManagedFields(List.of(serialization.unmarshal("""
                    {"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2026-11-30T06:00:05Z",
                     "fieldsType":"FieldsV1","subresource":"status","fieldsV1":{"f:status":{"f:conditions":{
                     "k:{\\"type\\":\\"Ready\\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},
                     "f:containerStatuses":{},"f:hostIP":{},"f:hostIPs":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},
                     "k:{\\"ip\\":\\"%s\\"}":{".":{},"f:ip":{}}},"f:startTime":{}}}}""".formatted(address),
                    ManagedFieldsEntry.class)));
        }
        return pod;
    }

    private Service service(int s) {
        Service service = serialization.unmarshal(ServiceManifests.service("svc-" + s, clusterIp(s), PORTS), Service.class);
        if (MANAGED_FIELDS) {
            service.getMetadata().setManagedFields(List.of(serialization.unmarshal("""
                    {"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2026-11-30T06:00:00Z",
                     "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:clusterIP":{},"f:internalTrafficPolicy":{},"f:ports":{".":{},
                     "k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{},"f:targetPort":{}}},
                     "f:sessionAffinity":{},"f:type":{}}}}""", ManagedFieldsEntry.class)));
        }
        return service;
    }

    /** Service {@code s}'s slice at generation {@code g}: generation g moved endpoint {@code (g - 1) % ENDPOINTS}. */
    private EndpointSlice slice(int s, int g) {
        String[] addresses = new String[ENDPOINTS];
        for (int k = 0; k < ENDPOINTS; k++) {
            addresses[k] = endpointIp(s, k, g);
        }
        EndpointSlice slice = serialization.unmarshal(ServiceManifests.endpointSlice("svc-" + s, PORTS, addresses), EndpointSlice.class);
        if (TARGET_REF) {
            for (Endpoint endpoint : slice.getEndpoints()) {
                String pod = podName("svc-" + s, endpoint.getAddresses().getFirst());
                endpoint.setTargetRef(new ObjectReferenceBuilder().withKind("Pod").withNamespace(slice.getMetadata().getNamespace())
                        .withName(pod).withUid(UUID.nameUUIDFromBytes(pod.getBytes(StandardCharsets.UTF_8)).toString()).build());
            }
        }
        if (MANAGED_FIELDS) {
            slice.getMetadata().setManagedFields(List.of(serialization.unmarshal("""
                    {"manager":"kube-controller-manager","operation":"Update","apiVersion":"discovery.k8s.io/v1",
                     "time":"2026-11-30T06:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:addressType":{},"f:endpoints":{},
                     "f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:endpointslice.kubernetes.io/managed-by":{},
                     "f:kubernetes.io/service-name":{}},"f:ownerReferences":{".":{},"k:{\\"uid\\":\\"%s\\"}":{}}},
                     "f:ports":{}}}""".formatted(UUID.nameUUIDFromBytes(("svc-" + s).getBytes(StandardCharsets.UTF_8))),
                    ManagedFieldsEntry.class)));
        }
        return slice;
    }

    /** The name of the Pod behind {@code address} of Service {@code service}: {@code <service>-} and five characters. */
    private static String podName(String service, String address) {
        long bits = UUID.nameUUIDFromBytes((service + "/" + address).getBytes(StandardCharsets.UTF_8)).getLeastSignificantBits();
        StringBuilder name = new StringBuilder(service).append('-');
        for (int i = 0; i < 5; i++) {
            name.append(NAME_SUFFIX_ALPHABET.charAt((int) Long.remainderUnsigned(bits, NAME_SUFFIX_ALPHABET.length())));
            bits = Long.divideUnsigned(bits, NAME_SUFFIX_ALPHABET.length());
        }
        return name.toString();
    }

    /**
     * fabric8's Kubernetes mock server in CRUD mode (in this JVM, C2) at this scale, through its own client: how long
     * it takes to hold 10,000 Services and their slices, to list them, and how many slice updates per second it
     * takes. Prints the figures; run with {@code -Dsluice.bench.mock=true} (and {@code sluice.bench.mockPopulateSeconds},
     * {@code sluice.bench.mockUpdateSeconds} to bound it; it slows down as it fills).
     */
    @Test
    @EnabledIfSystemProperty(named = "sluice.bench.mock", matches = "true")
    void theMockApiServerAtThisScale() throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new WatchClosingAside(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        int count = Integer.getInteger("sluice.bench.mockServices", SERVICES);
        try (KubernetesClient client = server.createClient()) {
            long cpu0 = ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
            long t0 = System.nanoTime();
            // Bounded: the mock slows down as it fills, so it stops at the budget and says how far it got.
            long budget = t0 + TimeUnit.SECONDS.toNanos(Integer.getInteger("sluice.bench.mockPopulateSeconds", 120));
            int created = 0;
            while (created < count && System.nanoTime() < budget) {
                client.resource(service(created)).create();
                client.resource(slice(created, 0)).create();
                created++;
                if (created % 1_000 == 0) {
                    System.out.printf("  mock server: %d services and slices created after %.1f s%n", created,
                            (System.nanoTime() - t0) / 1e9);
                }
            }
            count = created;
            double populate = (System.nanoTime() - t0) / 1e9;
            double populateCpu = (ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos() - cpu0) / 1e9;
            long t1 = System.nanoTime();
            int listed = client.services().inAnyNamespace().list().getItems().size()
                    + client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems().size();
            double list = (System.nanoTime() - t1) / 1e9;
            int[] generation = new int[count];
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Integer.getInteger("sluice.bench.mockUpdateSeconds", 5));
            long t2 = System.nanoTime();
            int updates = 0;
            while (System.nanoTime() < end) {
                int s = ThreadLocalRandom.current().nextInt(count);
                client.resource(slice(s, ++generation[s])).update();
                updates++;
            }
            double rate = updates / ((System.nanoTime() - t2) / 1e9);
            System.out.printf("fabric8 CRUD mock server, %d services x %d endpoints: created in %.1f s (test JVM CPU %.1f s, client"
                            + " and server), %d objects listed in %.2f s, slice updates back to back: %.0f/s (load average %s)%n",
                    count, ENDPOINTS, populate, populateCpu, listed, list, rate, loadAverage());
        } finally {
            server.destroy();
        }
    }
}
