package io.sluice.agent.policy;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.DropEvent;
import java.util.Locale;
import java.util.Map;

/**
 * The policy metrics, registered in the agent's registry:
 * <ul>
 *   <li>{@code sluice_policy_drops_total{reason}}: the kernel's per-CPU drop counters, read at scrape time
 *       ({@code policy_ingress}, {@code policy_egress}, {@code spoofed}, {@code fragment}, {@code unsupported_l3});</li>
 *   <li>{@code sluice_events_lost_total}: events the data path could not report (ring buffer full);</li>
 *   <li>{@code sluice_policy_drop_events_total{reason,direction}}: drop events the agent received;</li>
 *   <li>{@code sluice_policy_undecodable_events_total}: event records the agent could not read;</li>
 *   <li>{@code sluice_policy_revision}, {@code sluice_policy_endpoints}, {@code sluice_policy_entries},
 *       {@code sluice_policy_ipcache_entries}: what the agent last wrote.</li>
 * </ul>
 * Refused objects are counted by {@code sluice_objects_refused_total} (AgentMetrics).
 *
 * <p>Thread safety: the counters map is read under this object's lock (scrapes come from the HTTP threads); the
 * rest are lock-free data points.
 */
public final class PolicyMetrics {
    /** Metric label of each kernel drop counter. */
    static final Map<DatapathCounter, String> DROP_COUNTERS = Map.of(
            DatapathCounter.DROP_POLICY_INGRESS, "policy_ingress",
            DatapathCounter.DROP_POLICY_EGRESS, "policy_egress",
            DatapathCounter.DROP_SPOOFED, "spoofed",
            DatapathCounter.DROP_FRAGMENT, "fragment",
            DatapathCounter.DROP_UNSUPPORTED_L3, "unsupported_l3");

    private final DatapathCounters counters;
    private final Counter dropEvents;
    private final CounterDataPoint undecodable;
    private final Gauge revision;
    private final Gauge endpoints;
    private final Gauge entries;
    private final Gauge ipcache;

    /**
     * Registers the metrics in {@code registry}.
     *
     * @param counters the kernel counters (closed by the caller after the registry stops being scraped), or null
     *                 to leave the kernel counters out
     */
    public PolicyMetrics(PrometheusRegistry registry, DatapathCounters counters) {
        this.counters = counters;
        if (counters != null) {
            CounterWithCallback.builder().name("sluice_policy_drops_total")
                    .help("Packets the data path dropped for NetworkPolicy, anti-spoofing and the like, by reason")
                    .labelNames("reason")
                    .callback(cb -> DROP_COUNTERS.forEach((counter, label) -> cb.call(read(counter), label)))
                    .register(registry);
            CounterWithCallback.builder().name("sluice_events_lost_total")
                    .help("Events the data path could not report because the ring buffer was full")
                    .callback(cb -> cb.call(read(DatapathCounter.EVENTS_LOST)))
                    .register(registry);
        }
        dropEvents = Counter.builder().name("sluice_policy_drop_events_total")
                .help("Drop events received from the data path, by reason and direction")
                .labelNames("reason", "direction").register(registry);
        undecodable = Counter.builder().name("sluice_policy_undecodable_events_total")
                .help("Event records the agent could not decode (a data path newer than the agent)")
                .register(registry).labelValues();
        revision = Gauge.builder().name("sluice_policy_revision")
                .help("The policy revision last written (policy4_state)").register(registry);
        endpoints = Gauge.builder().name("sluice_policy_endpoints")
                .help("Local endpoints in the policy maps").register(registry);
        entries = Gauge.builder().name("sluice_policy_entries")
                .help("Allow entries in the policy map").register(registry);
        ipcache = Gauge.builder().name("sluice_policy_ipcache_entries")
                .help("Prefixes in the ipcache").register(registry);
    }

    private synchronized double read(DatapathCounter counter) {
        return counters.read(counter);
    }

    void dropEvent(DropEvent event) {
        dropEvents.labelValues(event.reason().label(), event.direction().name().toLowerCase(Locale.ROOT)).inc();
    }

    void undecodableEvent() {
        undecodable.inc();
    }

    void programmed(int revisionNumber, int endpointCount, int entryCount, int prefixCount) {
        revision.set(Integer.toUnsignedLong(revisionNumber));
        endpoints.set(endpointCount);
        entries.set(entryCount);
        ipcache.set(prefixCount);
    }
}
