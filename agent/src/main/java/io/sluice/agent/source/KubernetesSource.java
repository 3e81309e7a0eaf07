package io.sluice.agent.source;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.model.jackson.Jackson2JdkTypesModule;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.model.ResourceKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Objects from the Kubernetes API through fabric8 informers, one per kind, each listing in pages and holding its
 * objects compacted ({@link ModelCompactor}), the same instances the writer's store then holds.
 *
 * <p>Handlers only publish (kind, object) into the {@link EventChannel} and never block; {@code onUpdate} drops
 * no-op resyncs (same resourceVersion). Failures of list or watch that the API reports (RBAC, a bad request) are
 * retried by the informer with backoff and make the kind unsynced with the error as reason; the informer's own
 * cache serves the writer's resynchronisation after a relist or a queue overflow.
 *
 * <p>API outages: a broken watch is retried inside fabric8, whose informer keeps reporting itself as watching, so
 * the source listens to the client's connection failures ({@link ApiReachability}). A failure makes it probe the
 * API ({@code GET /version}, one attempt; any HTTP answer counts as reachable). When the probe fails too, every
 * kind becomes unsynced ("API unreachable: ...", which /readyz shows), the informers are stopped, and the probe
 * is retried with exponential backoff and jitter ({@value #MIN_PROBE_BACKOFF_MILLIS} ms doubling up to
 * {@value #MAX_PROBE_BACKOFF_MILLIS} ms). Once it answers, fresh informers list everything again, so the store
 * converges even if the server lost its history (a restored etcd, a new server): the writer then applies only the
 * difference. The maps keep the last known state throughout.
 *
 * <p>Scope: every kind is watched cluster-wide, Pods included. A field selector {@code spec.nodeName=<node>} would
 * shrink the Pod cache, but NetworkPolicy needs the labels and IPs of every Pod in the cluster to give remote peers
 * their identity (a policy on this node selects pods on other nodes), so this node's Pods are not enough. Nodes are
 * watched for their addresses (NodePort, host identity).
 */
public final class KubernetesSource implements ResourceSource {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesSource.class);
    /** How often connection failures are looked for while the API answers. */
    static final long REACHABILITY_CHECK_MILLIS = 200;
    static final long MIN_PROBE_BACKOFF_MILLIS = 200;
    static final long MAX_PROBE_BACKOFF_MILLIS = 5_000;
    static final long PROBE_TIMEOUT_MILLIS = 5_000;
    /**
     * System property ({@code SLUICE_JAVA_OPTS=-Dsluice.apiListPageSize=N}): objects per list request, default
     * {@value #DEFAULT_LIST_PAGE_SIZE}; 0 lists each kind in one request.
     *
     * <p>Paged, the API server's answer and its parse are a page at a time, not 10,000 objects at once (the agent's
     * heap high-water mark, and so its resident memory, followed the largest list), and each page reaches the writer
     * as it arrives. The cost is on the API server: with a limit, fabric8 (8.0) sends the first list without
     * {@code resourceVersion}, a consistent read, which Kubernetes 1.31 and later serve from the API server's watch
     * cache (ConsistentListFromCache) but older servers read from etcd, page by page. Without a limit fabric8 asks for
     * {@code resourceVersion=0}, which every version serves from the watch cache, in one answer (as kube-proxy's
     * first list). So: keep the default with Kubernetes 1.31 or later; on an older, large cluster, 0 spares etcd a
     * read of every object by every agent that starts, at the price of a higher memory peak while the list parses.
     */
    public static final String LIST_PAGE_SIZE_PROPERTY = "sluice.apiListPageSize";
    static final long DEFAULT_LIST_PAGE_SIZE = 500;

    /** Per kind: its informer and the latest list/watch failure, for readiness. */
    private static final class KindState {
        final ResourceKind kind;
        volatile SharedIndexInformer<? extends HasMetadata> informer;
        volatile String lastError;
        /** The informer's last synced resourceVersion when {@link #lastError} was set (written before it). */
        volatile String versionAtError;

        KindState(ResourceKind kind) {
            this.kind = kind;
        }
    }

    /** One set of informers; stopped ones must not publish what fabric8 still hands them. */
    private static final class Generation {
        final List<SharedIndexInformer<? extends HasMetadata>> informers = new ArrayList<>();
        volatile boolean live = true;
    }

    /**
     * The informer's cache, holding each object compacted ({@link ModelCompactor}: shared empty collections and
     * repeated strings) and without its {@code managedFields} ({@link #withoutManagedFields}) before the informer
     * notifies anyone of it (Services and EndpointSlices of list pages and watch events come compact from the parse,
     * {@link WatchEventSerialization}): fabric8 hands its handlers the instance it stored, so the writer's store and the
     * informer share one compact copy. Compaction is in place, before the object is visible to any other thread.
     *
     * <p>Not "full state" to fabric8, the only thing it asks the flag for: with a full-state store an informer holds
     * back the adds of its first list until the last page is in and then hands out all of them at once; with this
     * one each page goes to the writer as it arrives, so the writer programs it while the next pages are fetched and
     * parsed. The store holds every object either way, and readiness still waits for the whole list.
     *
     * <p>A new version of an object it holds shares that version's equal parts ({@link ModelCompactor#shareUnchanged}:
     * an EndpointSlice's unmoved endpoints, its name and labels), so what the watch event parsed for them dies young.
     * Otherwise each version carried its whole tree into the old generation, where it stayed until the next change of
     * that object (~1.5 MB/s at 1,000 slice changes/s, until a heap trim's full collection stalled everything). Only
     * the new version is written to, before fabric8 hands it to anyone; the held one is only read, as handlers and the
     * writer's store may be reading it meanwhile.
     */
    static final class CompactingItemStore<T extends HasMetadata> extends BasicItemStore<T> {
        CompactingItemStore() {
            super(Cache::metaNamespaceKeyFunc);
        }

        /**
         * Keeps the instance it holds when {@code object} has the same resourceVersion (a watch replaying what the
         * list gave, a resync): fabric8 notifies no one of such an update, so the writer still holds the old
         * instance, and storing the new one would keep two copies.
         */
        @Override
        public T put(String key, T object) {
            T held = get(key);
            if (held != null && Objects.equals(held.getMetadata().getResourceVersion(), object.getMetadata().getResourceVersion())) {
                return super.put(key, held);
            }
            T compact = ModelCompactor.isCompact(object) ? object : ModelCompactor.compact(withoutManagedFields(object));
            return super.put(key, ModelCompactor.shareUnchanged(freezeStringMaps(compact), held));
        }

        @Override
        public boolean isFullState() {
            return false;
        }
    }

    /**
     * Drops {@code object}'s {@code metadata.managedFields} (server-side apply's record of which manager set which
     * field), as client-go's informers do with {@code TransformStripManagedFields}: a real API server sends it with
     * every object, per manager a tree of {@code FieldsV1} maps naming each field it set, parsed into nested
     * {@code LinkedHashMap}s that the cache would hold for as long as the object; nothing in the agent reads it. The
     * manifest path drops it too ({@code CompactServiceBinder}).
     */
    static <T extends HasMetadata> T withoutManagedFields(T object) {
        ObjectMeta meta = object.getMetadata();
        if (meta != null) {
            meta.setManagedFields(List.of());
        }
        return object;
    }

    /**
     * Replaces {@code object}'s labels, annotations and (a Service's) selector by immutable copies: fabric8 parses each
     * into a {@code LinkedHashMap} of capacity 16 (about 170 bytes for one label, against 16 for {@code Map.of}),
     * and every object has labels, a cluster's thousands of Pods several. Nothing here changes them or relies on
     * their order (policy sorts labels). A map holding a null key or value stays as parsed.
     */
    static <T extends HasMetadata> T freezeStringMaps(T object) {
        ObjectMeta meta = object.getMetadata();
        if (meta != null) {
            meta.setLabels(frozen(meta.getLabels()));
            meta.setAnnotations(frozen(meta.getAnnotations()));
        }
        if (object instanceof Service service && service.getSpec() != null) {
            service.getSpec().setSelector(frozen(service.getSpec().getSelector()));
        }
        return object;
    }

    private static Map<String, String> frozen(Map<String, String> map) {
        if (map == null || map.isEmpty()) {
            return map == null ? null : Map.of();
        }
        if (map.getClass() == ONE_ENTRY_MAP) {
            return map; // Map.of's already, as the compact binder leaves one label (no walk of its entry set to see so)
        }
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                return map; // Map.copyOf refuses nulls
            }
        }
        return Map.copyOf(map);
    }

    /** The class of {@code Map.of(k, v)}: immutable, without nulls. */
    private static final Class<?> ONE_ENTRY_MAP = Map.of("", "").getClass();

    /** Publishes informer notifications; runs on fabric8's handler threads and must not block. */
    private record Handler(ResourceKind kind, EventChannel channel, LongAdder unchanged, Generation generation)
            implements ResourceEventHandler<HasMetadata> {
        @Override
        public void onAdd(HasMetadata object) {
            if (generation.live) {
                channel.publish(kind, false, object);
            }
        }

        @Override
        public void onUpdate(HasMetadata old, HasMetadata current) {
            if (Objects.equals(old.getMetadata().getResourceVersion(), current.getMetadata().getResourceVersion())) {
                unchanged.increment(); // a periodic resync: nothing changed
                return;
            }
            if (generation.live) {
                channel.publish(kind, false, current);
            }
        }

        @Override
        public void onDelete(HasMetadata object, boolean finalStateUnknown) {
            if (generation.live) {
                channel.publish(kind, true, object);
            }
        }
    }

    private final KubernetesClient client;
    private final ApiReachability reachability;
    private final Set<ResourceKind> kinds;
    private final long resyncMillis;
    /** Objects per list request; 0 for unpaged lists. */
    private final long listPageSize;
    private final EnumMap<ResourceKind, KindState> states = new EnumMap<>(ResourceKind.class);
    private final LongAdder unchangedUpdates = new LongAdder();
    private final ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("sluice-api-reachability").unstarted(r));
    private volatile Generation generation;
    private volatile Future<Void> started;
    private volatile EventChannel channel;
    /** Why the API counts as unreachable, or null while it answers. Written by the monitor thread only. */
    private volatile String outage;
    private long outageStartNanos;
    private long failuresSeen;
    private long probeBackoffMillis;
    private HttpClient probeClient;

    /**
     * A source of {@code kinds} through {@code client}, listing in pages of the size that system property
     * {@value #LIST_PAGE_SIZE_PROPERTY} gives (default {@value #DEFAULT_LIST_PAGE_SIZE}).
     *
     * @param reachability installed on {@code client} ({@link #client}); it tells this source of
     *                     connection failures, so that an API outage makes the kinds unsynced
     * @param resyncPeriod how often informers replay their cache as updates (dropped as no-ops); zero for never
     * @throws IllegalArgumentException naming {@value #LIST_PAGE_SIZE_PROPERTY} when it is set to no page size
     */
    public KubernetesSource(KubernetesClient client, ApiReachability reachability, Set<ResourceKind> kinds,
                            Duration resyncPeriod) {
        this(client, reachability, kinds, resyncPeriod, listPageSize(System.getProperty(LIST_PAGE_SIZE_PROPERTY)));
    }

    /**
     * As above, with {@code listPageSize} objects per list request, 0 for unpaged lists (see
     * {@link #LIST_PAGE_SIZE_PROPERTY} for the trade-off).
     */
    public KubernetesSource(KubernetesClient client, ApiReachability reachability, Set<ResourceKind> kinds,
                            Duration resyncPeriod, long listPageSize) {
        if (listPageSize < 0) {
            throw new IllegalArgumentException("listPageSize: " + listPageSize + " is negative (0 for unpaged lists)");
        }
        this.client = client;
        this.reachability = reachability;
        this.kinds = Collections.unmodifiableSet(EnumSet.copyOf(kinds));
        this.resyncMillis = resyncPeriod.toMillis();
        this.listPageSize = listPageSize;
        for (ResourceKind kind : kinds) {
            states.put(kind, new KindState(kind));
        }
    }

    /**
     * A source of {@code kinds} through a client that reports no connection failures to it: an API outage then
     * shows only once an informer gives up a list (tests of the informers' own behaviour).
     */
    public KubernetesSource(KubernetesClient client, Set<ResourceKind> kinds, Duration resyncPeriod) {
        this(client, new ApiReachability(), kinds, resyncPeriod);
    }

    /** A source of every kind the agent knows, without periodic resync, through a client with {@code reachability}. */
    public KubernetesSource(KubernetesClient client, ApiReachability reachability) {
        this(client, reachability, EnumSet.allOf(ResourceKind.class), Duration.ZERO);
    }

    /**
     * The list page size that {@code value} of {@value #LIST_PAGE_SIZE_PROPERTY} asks for: the default when null,
     * 0 for unpaged lists.
     *
     * @throws IllegalArgumentException naming the property when {@code value} is not a whole number of 0 or more
     */
    static long listPageSize(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_LIST_PAGE_SIZE;
        }
        try {
            long size = Long.parseLong(value.strip());
            if (size >= 0) {
                return size;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + LIST_PAGE_SIZE_PROPERTY + ": '" + value
                + "' is not a page size (objects per list request, 0 for unpaged lists)");
    }

    /** Objects per list request this source asks for; 0 when it lists each kind in one request. */
    public long listPageSize() {
        return listPageSize;
    }

    /**
     * The client the agent reads the API with, to {@code config}: the serialization {@code pages} keeps list pages
     * for (the agent's, {@link #serialization()}), its list pages of Services and EndpointSlices kept as they arrive
     * by {@code pages}, and {@code reachability} told of connection failures.
     */
    public static KubernetesClient client(Config config, ArrivingListPages pages, ApiReachability reachability) {
        return new KubernetesClientBuilder().withConfig(config).withKubernetesSerialization(pages.serialization())
                .withHttpClientBuilderConsumer(http -> pages.addTo(reachability.addTo(http)))
                .build();
    }

    /**
     * fabric8's JSON (de)serialization, knowing only the kinds the agent watches; give it to the client
     * ({@code KubernetesClientBuilder.withKubernetesSerialization}).
     *
     * <p>Why: fabric8's default looks up every model class on the class path before it reads its first watch event
     * (a ServiceLoader over the model jars of every API group that kubernetes-client brings: some 670 classes loaded
     * for nothing, 0.35-0.45 s of CPU with the launcher's flags, their metaspace for good), to map the event's
     * {@code apiVersion}/{@code kind} to a class. Registering the watched kinds is enough for that: their watch events
     * still arrive as typed objects (another kind would arrive as a {@code GenericKubernetesResource}, which no
     * informer here watches), and so does the {@code Status} of a watch's ERROR event. The mapper is built as
     * fabric8's default one is. In-cluster this saves the whole
     * lookup; with a kubeconfig file fabric8's own parse of that file has already done it once (its static
     * {@code Serialization}), and only the second lookup is saved. Watch events of those kinds are read in one pass
     * ({@link WatchEventSerialization}); Pods, Nodes and Namespaces with only the fields the agent uses
     * ({@link SlimModel}).
     */
    public static KubernetesSerialization serialization() {
        KubernetesSerialization serialization = new WatchEventSerialization(JsonMapper.builderWithJackson2Defaults()
                .addModule(new Jackson2JdkTypesModule()).addMixIn(ObjectMeta.class, ManagedFieldsSkipped.class).addMixIns(SlimModel.MIX_INS).build());
        for (ResourceKind kind : ResourceKind.values()) {
            serialization.registerKubernetesResource(kind.type());
        }
        // A watch's ERROR event carries a Status: fabric8 relists on its 410 (history compacted) only when it is typed.
        serialization.registerKubernetesResource(Status.class);
        return serialization;
    }

    /**
     * Makes the parse read past {@code metadata.managedFields} without building it: a real API server sends it with
     * every object and every watch event, and nothing reads it ({@link #withoutManagedFields}).
     */
    @JsonIgnoreProperties("managedFields")
    private abstract static class ManagedFieldsSkipped {
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public Set<ResourceKind> kinds() {
        return kinds;
    }

    @Override
    public void start(EventChannel channel) {
        if (this.channel != null) {
            throw new IllegalStateException("KubernetesSource already started");
        }
        this.channel = channel;
        failuresSeen = reachability.failures();
        started = startInformers();
        monitor.schedule(this::checkReachability, REACHABILITY_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * A fresh informer per kind, each listing everything (in pages of {@link #listPageSize()}) and then watching.
     * Informers of their own rather than a {@code SharedInformerFactory}, whose informers list in one piece.
     */
    private Future<Void> startInformers() {
        Generation g = new Generation();
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (KindState state : states.values()) {
            SharedIndexInformer<? extends HasMetadata> informer = informerFor(state.kind.type());
            informer.exceptionHandler((isStarted, error) -> {
                String message = error.getClass().getSimpleName() + ": " + error.getMessage();
                state.versionAtError = informer.lastSyncResourceVersion();
                if (!message.equals(state.lastError)) {
                    LOG.warn("{} list/watch failed, retrying: {}", state.kind, message);
                }
                state.lastError = message;
                return true; // keep retrying with the informer's backoff: an outage must not end the watch
            });
            informer.addEventHandler(new Handler(state.kind, channel, unchangedUpdates, g));
            state.lastError = null;
            state.informer = informer;
            g.informers.add(informer);
        }
        generation = g;
        for (SharedIndexInformer<? extends HasMetadata> informer : g.informers) {
            starts.add(informer.start().toCompletableFuture());
        }
        return CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new));
    }

    /**
     * An informer on every {@code type} in the cluster, its cache without fabric8's default namespace index (a set of
     * keys per namespace, updated on every change, that nothing here looks up: the writer keeps its own indexes).
     */
    private <T extends HasMetadata> SharedIndexInformer<T> informerFor(Class<T> type) {
        var all = client.resources(type).inAnyNamespace();
        return (listPageSize > 0 ? all.withLimit(listPageSize) : all).runnableInformer(resyncMillis)
                .itemStore(new CompactingItemStore<>())
                .removeNamespaceIndex();
    }

    /**
     * Silences the current informers at once and stops them on a thread of their own: fabric8's stop can wait on a
     * connection attempt to an API that does not answer, and the monitor must go on probing meanwhile.
     *
     * @return the thread that stops them, or null when none were started
     */
    private Thread stopInformers() {
        Generation g = generation;
        if (g == null || !g.live) {
            return null;
        }
        g.live = false;
        return Thread.ofPlatform().daemon().name("sluice-informers-stop").start(() -> {
            long start = System.nanoTime();
            g.informers.forEach(SharedIndexInformer::stop);
            LOG.debug("stopped the informers in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        });
    }

    /** The monitor's duty: turn connection failures into an outage, probe with backoff, relist when it ends. */
    private void checkReachability() {
        long delay = REACHABILITY_CHECK_MILLIS;
        try {
            if (outage == null) {
                long failures = reachability.failures();
                if (failures != failuresSeen) {
                    String problem = probe();
                    if (problem != null) {
                        beginOutage(problem);
                        delay = nextProbeDelay();
                    }
                }
            } else {
                String problem = probe();
                if (problem == null) {
                    endOutage();
                } else {
                    outage = "API unreachable: " + problem;
                    delay = nextProbeDelay();
                }
            }
            failuresSeen = reachability.failures(); // the probe's own failures are not news
        } catch (RuntimeException e) {
            LOG.warn("checking the API's reachability failed", e);
        } finally {
            if (!monitor.isShutdown()) {
                monitor.schedule(this::checkReachability, delay, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void beginOutage(String problem) {
        outageStartNanos = System.nanoTime();
        probeBackoffMillis = 0;
        outage = "API unreachable: " + problem;
        LOG.warn("the Kubernetes API at {} does not answer ({}); the maps keep their last state, retrying with backoff",
                client.getMasterUrl(), problem);
        stopInformers();
    }

    private void endOutage() {
        LOG.info("the Kubernetes API answers again after {} ms; listing everything afresh",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStartNanos));
        started = startInformers(); // before clearing the outage, so no stopped informer is asked whether it synced
        outage = null;
    }

    private long nextProbeDelay() {
        probeBackoffMillis = Math.min(MAX_PROBE_BACKOFF_MILLIS, Math.max(MIN_PROBE_BACKOFF_MILLIS, probeBackoffMillis * 2));
        // ±20 % jitter, so the agents of a cluster do not come back to a recovering API in step.
        return (long) (probeBackoffMillis * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    }

    /** One {@code GET /version} without retries: null when the API answered (any HTTP status), else what failed. */
    private String probe() {
        try {
            if (probeClient == null) {
                probeClient = client.newClient(new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
                        .withRequestRetryBackoffLimit(0).build()).getHttpClient();
            }
            String master = client.getMasterUrl().toString();
            probeClient.sendAsync(probeClient.newHttpRequestBuilder()
                            .uri(master + (master.endsWith("/") ? "" : "/") + "version")
                            .timeout(PROBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).build(), String.class)
                    .get(PROBE_TIMEOUT_MILLIS + 1_000, TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return ApiReachability.describe(e.getCause());
        } catch (TimeoutException e) {
            return "no answer within " + PROBE_TIMEOUT_MILLIS + " ms";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (RuntimeException e) {
            return ApiReachability.describe(e);
        }
    }

    /**
     * Waits at most {@code timeout} for every informer's first list. On timeout the informers keep trying and the
     * agent runs unready; the reason names the failing kinds.
     *
     * @return whether all kinds synced in time
     */
    public boolean awaitSynced(Duration timeout) throws InterruptedException {
        Future<Void> future = started;
        if (future == null) {
            throw new IllegalStateException("KubernetesSource not started");
        }
        try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            LOG.warn("informers not synced after {}; going on unready: {}", timeout, describeUnsynced());
            return false;
        } catch (ExecutionException e) {
            LOG.warn("informer start failed; going on unready: {}", e.getCause().toString());
            return false;
        }
    }

    private String describeUnsynced() {
        StringBuilder sb = new StringBuilder();
        for (KindState s : states.values()) {
            if (!synced(s.kind)) {
                sb.append(sb.isEmpty() ? "" : "; ").append(s.kind).append(": ").append(notSyncedReason(s.kind));
            }
        }
        return sb.toString();
    }

    /** Updates dropped because the resourceVersion did not change (informer resyncs). Any thread. */
    public long unchangedUpdates() {
        return unchangedUpdates.sum();
    }

    @Override
    public boolean synced(ResourceKind kind) {
        if (outage != null) {
            return false;
        }
        KindState s = states.get(kind);
        SharedIndexInformer<? extends HasMetadata> informer = s == null ? null : s.informer;
        if (informer == null || !informer.hasSynced()) {
            return false;
        }
        // Between two watches (the API server ends them routinely) the cache is still current; only a failure
        // makes the kind unsynced, until the informer watches again or has listed (or been told of a change) since:
        // fabric8's isWatching stays false on a watch over plain HTTP (its fallback where WebSocket upgrades are not
        // let through), so it alone would keep the kind unsynced for good after one failure. The writer asks every
        // duty cycle, and isWatching allocates (Optionals), so it is asked only after a failure.
        if (s.lastError == null) {
            return true;
        }
        if (informer.isWatching() || !Objects.equals(informer.lastSyncResourceVersion(), s.versionAtError)) {
            s.lastError = null;
            return true;
        }
        return false;
    }

    @Override
    public String notSyncedReason(ResourceKind kind) {
        KindState s = states.get(kind);
        if (s == null) {
            return "not delivered by this source";
        }
        String down = outage;
        if (down != null) {
            return down;
        }
        String error = s.lastError;
        if (error != null) {
            return "API error: " + error;
        }
        return s.informer == null ? "informer not started" : "waiting for the first list";
    }

    @Override
    public Collection<? extends HasMetadata> snapshot(ResourceKind kind) {
        KindState s = states.get(kind);
        SharedIndexInformer<? extends HasMetadata> informer = s == null ? null : s.informer;
        return informer == null ? List.of() : informer.getStore().list();
    }

    @Override
    public void close() {
        monitor.shutdownNow();
        try {
            monitor.awaitTermination(PROBE_TIMEOUT_MILLIS + 2_000, TimeUnit.MILLISECONDS);
            Thread stopping = stopInformers();
            if (stopping != null) {
                stopping.join(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
