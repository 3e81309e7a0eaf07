package io.sluice.agent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.sluice.agent.config.AgentConfig;
import io.sluice.agent.http.EpollHttpClient;
import io.sluice.agent.ids.ServiceIds;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.policy.ChronicleIdentityStore;
import io.sluice.agent.policy.PolicyReconciler;
import io.sluice.agent.services.DatapathReconcilerFactory;
import io.sluice.agent.services.ServiceTranslationReconciler;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.Store;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.policy.PodRef;
import io.sluice.policy.PolicyEngine;
import io.sluice.policy.PolicyRef;
import io.sluice.servicelb.ServiceTranslator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice aot-train} (hidden): a start of the agent that needs no kernel access, for the JVM to record an AOT
 * cache from (JEP 483/514: {@code bin/sluice aot-train} runs it with {@code -XX:AOTCacheOutput}, with the agent's JVM
 * flags and jar, so the agent can use the cache). Where a real start cannot run, an image build (no BPF, no root, no
 * cgroup), this runs what a start loads and executes: the command line and the configuration file, the source
 * ({@code --source}: a manifest folder of Services and EndpointSlices ({@link TrainingManifests}) parsed and watched;
 * or those objects with Namespaces, Pods, NetworkPolicies and the Node listed and watched through fabric8's client
 * from an API server on loopback ({@link TrainingApiServer}); then changed), the event queue and the writer, the
 * service translation with the persisted id stores and the map codecs ({@link ServiceTranslationReconciler}), the policy engine over the persisted identity store, the metrics and the
 * HTTP server on loopback (scraped a few times, through {@link EpollHttpClient}), and libbpf's open of the bundled
 * BPF objects through FFM (an open parses the ELF and BTF; nothing is loaded or attached). The classes of the kernel paths it cannot run (map writes,
 * the program load and attach) are loaded without being run, so the cache holds them loaded and linked too.
 *
 * <p>One cache per source ({@code bin/sluice aot-train} records both; the launcher picks the one of the agent's
 * source): the JVM loads every class of its cache at start, so a cache trained on both would load the manifest
 * parse's classes on every API start and the API client's on every manifest start.
 *
 * <p>Everything is made under a temporary folder, removed at the end.
 */
@Command(name = "aot-train", hidden = true, mixinStandardHelpOptions = true,
        description = "Run a kernel-free agent start for the JVM to record an AOT cache from (bin/sluice aot-train).")
public final class AotTrainingCommand implements Callable<Integer> {
    /** The node name the training agent runs as; half the generated Pods and endpoints are on it. */
    static final String NODE_NAME = "aot-training-node";
    /** Packages whose classes are loaded without running (see the class comment): not the other CLI commands. */
    private static final List<String> SKIPPED_PACKAGES = List.of("io/sluice/lab/", "io/sluice/agent/cli/", "io/sluice/agent/demo/");

    /** Where the training agent reads its objects from: a manifest folder, or an API server on loopback. */
    enum Source { MANIFESTS, API }

    /** The training node's Node object, which only the API serves (a manifest folder rarely holds one). */
    private static final String NODE = """
            apiVersion: v1
            kind: Node
            metadata:
              name: %s
              labels:
                kubernetes.io/hostname: %s
                kubernetes.io/os: linux
            status:
              addresses:
                - {type: InternalIP, address: 192.0.2.10}
                - {type: Hostname, address: %s}
            """.formatted(NODE_NAME, NODE_NAME, NODE_NAME);

    @Option(names = "--source", paramLabel = "SOURCE",
            description = "What the training agent reads: manifests (a generated folder) or api (the same objects from"
                    + " a list/watch server on loopback); one cache each, as the launcher picks by the agent's source"
                    + " (default ${DEFAULT-VALUE}).")
    Source source = Source.MANIFESTS;

    @Option(names = "--services", paramLabel = "N", description = "Services the training agent reads (default ${DEFAULT-VALUE}).")
    int services = 2000;

    @Option(names = "--changes", paramLabel = "N", description = "Services whose slice changes once ready (default ${DEFAULT-VALUE}).")
    int changes = 200;

    @Option(names = "--ready-timeout", paramLabel = "SECONDS", description = "How long the agent may take to be ready (default ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds = 300;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Path work = Files.createTempDirectory("sluice-aot-train-");
        Path manifests = work.resolve("manifests");
        TrainingApiServer api = null;
        try {
            String sourceSetting;
            int objects;
            if (source == Source.MANIFESTS) {
                TrainingManifests.write(manifests, services);
                objects = TrainingManifests.objects(services);
                sourceSetting = "manifests: %s\nmanifestPollInterval: 500ms".formatted(manifests);
            } else {
                List<String> documents = new ArrayList<>(TrainingManifests.files(services, true).values());
                documents.add(NODE);
                api = TrainingApiServer.start(documents);
                objects = api.objects();
                sourceSetting = "kubeconfig: " + api.kubeconfig(work);
            }
            AgentDaemon daemon = AgentDaemon.start(config(work, sourceSetting), AotTrainingCommand::kernelFreeReconcilers);
            try (EpollHttpClient client = EpollHttpClient.start(Duration.ofSeconds(1), Duration.ofSeconds(5))) {
                InetSocketAddress http = daemon.httpAddress();
                awaitReady(client, http, started);
                checkEverythingRead(metrics(client, http), objects);
                for (int i = 0; i < 3; i++) {
                    client.get(http, "/metrics");
                    client.get(http, "/healthz");
                }
                if (api != null) {
                    api.awaitWatches(Duration.ofSeconds(30));
                }
                for (int s = 0; s < Math.min(changes, services); s++) {
                    if (api != null) {
                        api.put(TrainingManifests.service(s, 1));
                    } else {
                        TrainingManifests.change(manifests, s, 1);
                    }
                    Thread.sleep(2);
                }
                awaitChanges(client, http, services + Math.min(changes, services));
                // The writer's flush of the changes; then the scrapes the agent answers all day.
                Thread.sleep(1500);
                client.get(http, "/metrics");
                client.get(http, "/readyz");
            } finally {
                daemon.close();
            }
            int loaded = loadKernelPathClasses();
            System.out.printf("sluice aot-train: %s, %d Services, %d changes, %d classes loaded without running; %.1f s%n",
                    source.name().toLowerCase(Locale.ROOT), services, changes, loaded, (System.nanoTime() - started) / 1e9);
            return 0;
        } finally {
            if (api != null) {
                api.close();
            }
            deleteRecursively(work);
        }
    }

    /**
     * The configuration a node's file would give, with {@code source}'s settings, through the agent command's own
     * parsing, for a start in {@code work}.
     */
    private static AgentConfig config(Path work, String source) throws IOException {
        Path file = work.resolve("config.yaml");
        Files.writeString(file, """
                # sluice aot-train: a node's configuration, with every path under the training folder
                nodeName: %s
                %s
                stateDir: %s
                bpffsPinDir: %s
                metricsAddress: 127.0.0.1:0
                nodeAddresses: [192.0.2.10]
                """.formatted(NODE_NAME, source, work.resolve("state"), work.resolve("bpffs")));
        AgentCommand agent = new AgentCommand();
        new CommandLine(agent).parseArgs("--config", file.toString());
        return agent.config();
    }

    /**
     * The service and policy reconcilers without maps (see the class comment), over the id stores in the state
     * folder; and the data path's BPF objects opened and sized as {@code Datapath.start} does, then closed unloaded.
     */
    private static List<Reconciler> kernelFreeReconcilers(AgentConfig config, AgentMetrics metrics) {
        for (BpfObjectFile file : List.of(BpfObjectFile.SOCK, BpfObjectFile.POD)) {
            try (BpfObject object = BpfObject.open(file.bytes(), file.baseName())) {
                for (BpfMap map : object.maps()) {
                    Integer size = config.lruMapSizes().entries().get(map.name());
                    if (size != null) {
                        object.setMaxEntries(map.name(), size);
                    }
                    map.maxEntries();
                }
                object.programs().forEach(BpfProgram::name);
            }
        }
        StableIdAllocator frontendIds = ServiceIds.openFrontendIds(config.stateDir());
        StableIdAllocator backendIds = ServiceIds.openBackendIds(config.stateDir());
        ServiceTranslator translator = DatapathReconcilerFactory.serviceTranslator(config);
        ChronicleIdentityStore identities = ChronicleIdentityStore.open(config.stateDir().resolve(PolicyReconciler.IDENTITY_FILE));
        return List.of(new ServiceTranslationReconciler(translator, frontendIds, backendIds),
                new PolicyEngineReconciler(new PolicyEngine(config.nodeName(), identities), identities));
    }

    /** Pods, Namespaces and NetworkPolicies into the policy engine, as {@link PolicyReconciler#apply} feeds it. */
    private static final class PolicyEngineReconciler implements Reconciler, AutoCloseable {
        private final PolicyEngine engine;
        private final ChronicleIdentityStore identities;

        PolicyEngineReconciler(PolicyEngine engine, ChronicleIdentityStore identities) {
            this.engine = engine;
            this.identities = identities;
        }

        @Override
        public String name() {
            return "policy";
        }

        @Override
        public void onChange(ObjectKey key, Store store) {
            HasMetadata object = store.get(key);
            switch (key.kind()) {
                case POD -> {
                    if (object == null) {
                        engine.deletePod(new PodRef(key.namespace(), key.name()));
                    } else {
                        engine.upsertPod((Pod) object);
                    }
                }
                case NAMESPACE -> {
                    if (object == null) {
                        engine.deleteNamespace(key.name());
                    } else {
                        engine.upsertNamespace((Namespace) object);
                    }
                }
                case NETWORK_POLICY -> {
                    if (object == null) {
                        engine.deletePolicy(new PolicyRef(key.namespace(), key.name()));
                    } else {
                        engine.upsertPolicy((NetworkPolicy) object);
                    }
                }
                default -> {
                    // Services and EndpointSlices are the other reconciler's
                }
            }
        }

        @Override
        public void onStoreSynced(Store store) {
            engine.completeInitialSync();
        }

        @Override
        public int flush() {
            return engine.endpointPolicies().size() + engine.ipcache().entries().size();
        }

        @Override
        public void close() {
            identities.close();
        }
    }

    /** Waits for /readyz to answer 200. */
    private void awaitReady(EpollHttpClient client, InetSocketAddress http, long started) throws IOException, InterruptedException {
        long deadline = started + readyTimeoutSeconds * 1_000_000_000L;
        while (client.get(http, "/readyz").status() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the training agent was not ready within " + readyTimeoutSeconds + " s");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits until the agent received {@code sliceEvents} EndpointSlice events (the first list's and the changes'), so
     * that a training whose watch or rescan broke fails rather than records less than it should.
     */
    private void awaitChanges(EpollHttpClient client, InetSocketAddress http, int sliceEvents) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + readyTimeoutSeconds * 1_000_000_000L;
        double received = 0;
        while (System.nanoTime() < deadline) {
            received = metrics(client, http).lines().filter(l -> l.startsWith("sluice_events_received_total{kind=\"EndpointSlice\"}"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            if (received >= sliceEvents) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the training agent received " + (long) received + " EndpointSlice events, not the "
                + sliceEvents + " of the first list and the changes, within " + readyTimeoutSeconds + " s");
    }

    /**
     * Fails unless the store holds every generated object and none was refused: a training folder the agent reads
     * only in part would train a part of the start, silently.
     */
    private void checkEverythingRead(String metrics, int objects) {
        double stored = 0;
        for (String line : metrics.lines().toList()) {
            String[] sample = line.split(" ");
            if (line.startsWith("sluice_store_objects{")) {
                stored += Double.parseDouble(sample[sample.length - 1]);
            } else if (line.startsWith("sluice_objects_refused_total{") && Double.parseDouble(sample[sample.length - 1]) > 0) {
                throw new IllegalStateException("the training agent refused generated objects: " + line);
            }
        }
        if (stored != objects) {
            throw new IllegalStateException("the training agent's store holds " + (long) stored + " objects, not the "
                    + objects + " generated (see its log for the problems)");
        }
    }

    /** The agent's metrics, in Prometheus text format; fails unless it serves them. */
    private static String metrics(EpollHttpClient client, InetSocketAddress http) throws IOException, InterruptedException {
        EpollHttpClient.Response response = client.get(http, "/metrics");
        if (response.status() != 200) {
            throw new IllegalStateException("the training agent answered /metrics with " + response.status() + ": " + response.body());
        }
        return response.body();
    }

    /**
     * Loads, without initialising, the Sluice classes of the agent's jars ({@code sluice-agent.jar} and the
     * {@code sluice-*.jar} of its {@code lib/} folder, or the agent's class folder when run from classes) outside
     * {@link #SKIPPED_PACKAGES}; returns how many.
     */
    static int loadKernelPathClasses() throws IOException {
        Path agentCode;
        try {
            agentCode = Path.of(AotTrainingCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the agent's code source", e);
        }
        List<String> classNames = new ArrayList<>();
        if (Files.isDirectory(agentCode)) {
            try (Stream<Path> files = Files.walk(agentCode)) {
                files.map(f -> agentCode.relativize(f).toString()).forEach(name -> addClassName(name, classNames));
            }
        } else {
            List<Path> jars = new ArrayList<>(List.of(agentCode));
            Path lib = agentCode.resolveSibling("lib");
            if (Files.isDirectory(lib)) {
                try (Stream<Path> files = Files.list(lib)) {
                    files.filter(f -> f.getFileName().toString().startsWith("sluice-")).sorted().forEach(jars::add);
                }
            }
            for (Path jar : jars) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    file.stream().map(JarEntry::getName).forEach(name -> addClassName(name, classNames));
                }
            }
        }
        int loaded = 0;
        ClassLoader loader = AotTrainingCommand.class.getClassLoader();
        for (String name : classNames) {
            try {
                Class.forName(name, false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                // A class of an optional path whose library is absent: the agent does not load it either.
            }
        }
        return loaded;
    }

    private static void addClassName(String entry, List<String> classNames) {
        if (entry.startsWith("io/sluice/") && entry.endsWith(".class") && SKIPPED_PACKAGES.stream().noneMatch(entry::startsWith)) {
            classNames.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("sluice aot-train: could not remove " + dir + ": " + e.getMessage());
        }
    }
}
