package io.sluice.agent.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.sluice.agent.model.ResourceKind;

/**
 * The agent's Prometheus metrics, in a registry of their own. Safe from any thread: the Prometheus client's
 * data points are lock-free; hot paths hold on to the data points they use instead of looking labels up per
 * event. Netty threads only {@link PrometheusRegistry#scrape() scrape}.
 */
public final class AgentMetrics {
    /** Buckets for latencies from sub-millisecond map writes to multi-second syncs. */
    private static final double[] SECONDS_BUCKETS =
            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter eventsReceived;
    private final Histogram syncDuration;
    private final Gauge firstSyncFlushed;
    private final Histogram eventToMapLatency;
    private final Counter mapOperations;
    private final Counter mapErrors;
    private final Gauge mapEntries;
    private final Counter objectsRefused;
    private final Counter queueOverflows;
    private final Gauge storeObjects;
    private final Counter staleSocketsDestroyed;
    private final CounterDataPoint[] eventsByKind = new CounterDataPoint[ResourceKind.values().length];
    private final GaugeDataPoint[] storeObjectsByKind = new GaugeDataPoint[ResourceKind.values().length];

    public AgentMetrics() {
        eventsReceived = Counter.builder().name("sluice_events_received_total")
                .help("Events received from the sources, by kind of object").labelNames("kind").register(registry);
        syncDuration = Histogram.builder().name("sluice_sync_duration_seconds").unit(Unit.SECONDS)
                .help("Time from the start of a full synchronisation (agent start, a source losing its watch, "
                        + "an event queue overflow) until the synchronised state was flushed to the maps")
                .classicOnly().classicUpperBounds(SECONDS_BUCKETS).register(registry);
        firstSyncFlushed = Gauge.builder().name("sluice_first_sync_flushed_timestamp_seconds").unit(Unit.SECONDS)
                .help("When the flush that made every source's first synchronisation visible in the maps returned "
                        + "(unix time; 0 before): the agent's start to maps fully programmed, against the process start")
                .register(registry);
        eventToMapLatency = Histogram.builder().name("sluice_event_to_map_latency_seconds").unit(Unit.SECONDS)
                .help("Time from an event's arrival in the agent until the flush that wrote its change succeeded")
                .classicOnly().classicUpperBounds(SECONDS_BUCKETS).register(registry);
        mapOperations = Counter.builder().name("sluice_map_operations_total")
                .help("BPF map operations, by map and operation").labelNames("map", "op").register(registry);
        mapErrors = Counter.builder().name("sluice_map_errors_total")
                .help("Failed BPF map operations, by map").labelNames("map").register(registry);
        mapEntries = Gauge.builder().name("sluice_map_entries")
                .help("Entries in each BPF map as the agent last wrote it").labelNames("map").register(registry);
        objectsRefused = Counter.builder().name("sluice_objects_refused_total")
                .help("Objects the agent refused, by kind and reason").labelNames("kind", "reason").register(registry);
        queueOverflows = Counter.builder().name("sluice_event_queue_overflows_total")
                .help("Events that found the writer's queue full; each forces a full resync of its source")
                .labelNames("source").register(registry);
        storeObjects = Gauge.builder().name("sluice_store_objects")
                .help("Objects in the writer's store, by kind").labelNames("kind").register(registry);
        staleSocketsDestroyed = Counter.builder().name("sluice_stale_sockets_destroyed_total")
                .help("Connected UDP sockets destroyed because the backend the socket programs had sent them to left "
                        + "the service").register(registry);
        for (ResourceKind kind : ResourceKind.values()) {
            eventsByKind[kind.ordinal()] = eventsReceived.labelValues(kind.apiKind());
            storeObjectsByKind[kind.ordinal()] = storeObjects.labelValues(kind.apiKind());
        }
    }

    /** The registry to scrape. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Counts one event of {@code kind} received from a source. */
    public void eventReceived(ResourceKind kind) {
        eventsByKind[kind.ordinal()].inc();
    }

    /** Records one full synchronisation's duration. */
    public void syncCompleted(double seconds) {
        syncDuration.observe(seconds);
    }

    /**
     * Records when the first synchronisation was flushed (seconds since the epoch). The writer calls it once; the
     * gauge reads 0 until then.
     */
    public void firstSyncFlushed(double epochSeconds) {
        firstSyncFlushed.set(epochSeconds);
    }

    /** Records one event's latency from arrival to its successful flush. */
    public void eventFlushed(double seconds) {
        eventToMapLatency.observe(seconds);
    }

    /** The counter of {@code op} operations on {@code map}; reconcilers keep it rather than look it up per write. */
    public CounterDataPoint mapOperations(String map, String op) {
        return mapOperations.labelValues(map, op);
    }

    /** The counter of failed operations on {@code map}. */
    public CounterDataPoint mapErrors(String map) {
        return mapErrors.labelValues(map);
    }

    /** The gauge of entries in {@code map}. */
    public GaugeDataPoint mapEntries(String map) {
        return mapEntries.labelValues(map);
    }

    /** Counts one object of {@code kind} refused for {@code reason} (a short snake_case word, not a message). */
    public void objectRefused(String kind, String reason) {
        objectsRefused.labelValues(kind, reason).inc();
    }

    /** Counts one event that found the queue full. */
    public void queueOverflow(String source) {
        queueOverflows.labelValues(source).inc();
    }

    /** Counts {@code count} connected UDP sockets destroyed because their backend left the service. */
    public void staleSocketsDestroyed(int count) {
        staleSocketsDestroyed.inc(count);
    }

    /** Sets the number of objects of {@code kind} in the store. */
    public void storeObjects(ResourceKind kind, int count) {
        storeObjectsByKind[kind.ordinal()].set(count);
    }
}
