package io.sluice.agent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.config.AgentConfig;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.http.StatusHttpServer;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.source.ApiReachability;
import io.sluice.agent.source.ArrivingListPages;
import io.sluice.agent.source.Kubeconfig;
import io.sluice.agent.source.KubernetesSource;
import io.sluice.agent.source.ManifestDirectorySource;
import io.sluice.agent.source.ResourceSource;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.agent.writer.WriterStatus;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: its source (Kubernetes API or manifest directory), the event queue, the writer on its own
 * thread, and the HTTP endpoints. {@link #start} wires and starts them; {@link #close()} stops them in reverse.
 */
public final class AgentDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentDaemon.class);
    /** A writer whose duty cycle has not come round for this long is reported unhealthy. */
    public static final Duration WRITER_STALL_LIMIT = Duration.ofSeconds(30);

    private final ResourceSource source;
    private final KubernetesClient client;
    private final List<Reconciler> reconcilers;
    private final AgentMetrics metrics;
    private final StateWriter writer;
    private final AgentRunner runner;
    private final CountDownLatch closed = new CountDownLatch(1);
    /**
     * The writer's thread as started: alive from {@code start()} on. The runner's own {@code thread()} stays null
     * until that thread first runs, which on a busy machine comes after the HTTP server already answers.
     */
    private volatile Thread writerThread;
    private StatusHttpServer http;
    private HeapTrim heapTrim;
    private boolean closing;

    private AgentDaemon(ResourceSource source, KubernetesClient client, List<Reconciler> reconcilers,
                        AgentMetrics metrics, StateWriter writer, AgentRunner runner) {
        this.source = source;
        this.client = client;
        this.reconcilers = reconcilers;
        this.metrics = metrics;
        this.writer = writer;
        this.runner = runner;
    }

    /**
     * Starts an agent for a concluded {@code config}. Returns once the HTTP server is up and the source has synced
     * or the informer start timeout passed (the agent then runs unready while the source retries).
     *
     * <p>The source starts first: manifests parse on their pool, or the informers list over HTTP, while this thread
     * loads the data path (the kernel's verifier takes about a second) and opens the persisted ids. What the source
     * publishes meanwhile waits in the event queue (an overflow is resynchronised from the source's snapshot as
     * always); the writer drains it once the reconcilers exist. A data path that fails to load stops the source and
     * ends the start with the reconciler factory's error.
     */
    public static AgentDaemon start(AgentConfig config, ReconcilerFactory reconcilerFactory) throws InterruptedException {
        AgentMetrics metrics = new AgentMetrics();
        KubernetesClient client = null;
        ResourceSource source;
        switch (config.sourceMode()) {
            case MANIFESTS -> source = new ManifestDirectorySource(config.manifests(), config.manifestPollInterval(), metrics);
            case KUBECONFIG, IN_CLUSTER -> {
                KubernetesSerialization serialization = KubernetesSource.serialization();
                Config apiConfig = config.sourceMode() == AgentConfig.SourceMode.KUBECONFIG
                        ? Kubeconfig.read(config.kubeconfig(), serialization) : Config.autoConfigure(null);
                ApiReachability reachability = new ApiReachability();
                client = KubernetesSource.client(apiConfig, new ArrivingListPages(serialization), reachability);
                source = new KubernetesSource(client, reachability);
            }
            default -> throw new IllegalStateException("source mode " + config.sourceMode());
        }
        EventQueue queue = new EventQueue(config.eventQueueCapacity(), metrics);
        List<Reconciler> reconcilers;
        try {
            source.start(queue.channel(source.name()));
            reconcilers = reconcilerFactory.create(config, metrics);
        } catch (RuntimeException e) {
            source.close();
            if (client != null) {
                client.close();
            }
            throw e;
        }
        // From here a failure closes the source, the client and the reconcilers with the daemon.
        return start(config, queue, source, true, client, reconcilers, metrics);
    }

    /**
     * Starts an agent over a given source; {@code client}, if not null, is closed with the agent.
     * The writer starts first so that the queue drains while the source lists.
     */
    public static AgentDaemon start(AgentConfig config, ResourceSource source, KubernetesClient client,
                                    List<Reconciler> reconcilers, AgentMetrics metrics) throws InterruptedException {
        return start(config, new EventQueue(config.eventQueueCapacity(), metrics), source, false, client, reconcilers,
                metrics);
    }

    /** As above; a {@code sourceStarted} source already publishes into its channel of {@code queue}. */
    private static AgentDaemon start(AgentConfig config, EventQueue queue, ResourceSource source, boolean sourceStarted,
                                     KubernetesClient client, List<Reconciler> reconcilers, AgentMetrics metrics)
            throws InterruptedException {
        StateWriter writer = new StateWriter(queue, List.of(source), reconcilers, metrics);
        AgentRunner runner = new AgentRunner(
                new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1)),
                error -> LOG.error("writer duty cycle failed", error), null, writer);
        AgentDaemon daemon = new AgentDaemon(source, client, List.copyOf(reconcilers), metrics, writer, runner);
        try {
            daemon.writerThread = AgentRunner.startOnThread(runner);
            daemon.heapTrim = HeapTrim.start(() -> writer.status().ready(), writer::lastEventNanos);
            daemon.http = StatusHttpServer.start(config.metricsBindAddress(), metrics.registry(),
                    daemon::healthProblem, daemon::readinessProblem);
            LOG.info("serving /metrics, /healthz, /readyz on {}", daemon.http.localAddress());
            if (!sourceStarted) {
                source.start(writer.channelOf(source));
            }
            if (source instanceof KubernetesSource kubernetes) {
                kubernetes.awaitSynced(config.informerStartTimeout());
            }
        } catch (RuntimeException | InterruptedException e) {
            daemon.close();
            throw e;
        }
        LOG.info("agent for node {} started, reading from {}", config.nodeName(), source.name());
        return daemon;
    }

    /** Why the agent is not healthy (writer thread dead or stuck), or null. Any thread. */
    public String healthProblem() {
        Thread thread = writerThread;
        if (runner.isClosed() || thread == null || !thread.isAlive()) {
            return "writer thread is not running";
        }
        long stalledNanos = System.nanoTime() - writer.heartbeatNanos();
        if (stalledNanos > WRITER_STALL_LIMIT.toNanos()) {
            return "writer has not completed a duty cycle for " + TimeUnit.NANOSECONDS.toSeconds(stalledNanos) + " s";
        }
        return null;
    }

    /** Why the agent is not ready (a source not synced, a flush failed), or null. Any thread. */
    public String readinessProblem() {
        String health = healthProblem();
        if (health != null) {
            return health;
        }
        WriterStatus status = writer.status();
        if (!status.ready()) {
            return status.reason();
        }
        return heapTrim.firstSyncTrimmed() ? null : "giving the first sync's garbage back to the kernel";
    }

    /** The address /metrics, /healthz and /readyz are served on. */
    public InetSocketAddress httpAddress() {
        return http.localAddress();
    }

    /** The agent's metrics. */
    public AgentMetrics metrics() {
        return metrics;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    /** Stops the HTTP server, the source, the writer and the reconcilers, in that order. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        try {
            if (http != null) {
                http.close();
            }
            if (heapTrim != null) {
                heapTrim.close();
            }
            source.close();
            if (client != null) {
                client.close();
            }
            runner.close();
            for (Reconciler r : reconcilers) {
                if (r instanceof AutoCloseable c) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        LOG.warn("closing reconciler {}: {}", r.name(), e.toString());
                    }
                }
            }
            LOG.info("agent stopped");
        } finally {
            closed.countDown();
        }
    }
}
