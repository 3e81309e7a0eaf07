package io.sluice.agent.cli;

import io.sluice.agent.cli.metrics.AgentHttp;
import io.sluice.agent.cli.metrics.MetricSample;
import io.sluice.agent.cli.metrics.PrometheusText;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.MapName;
import io.sluice.maps.PolicyConstants;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sluice metrics}: the agent's counters as a person reads them. The agent's part comes from its
 * {@code /metrics}, {@code /healthz} and {@code /readyz}; the data path's counters from the pinned per-CPU array
 * {@code sluice_counters} (summed over CPUs), or from the agent's export when the pin is not reachable.
 */
@Command(name = "metrics", mixinStandardHelpOptions = true,
        description = {"Summarise the agent's metrics: health and readiness, events by kind, map fill, refused objects,"
                + " the data path's counters and its drops by reason.",
                "Agent figures come from its HTTP endpoint (--address); data path counters from the pinned map"
                        + " sluice_counters under --pin-dir."})
public final class MetricsCommand extends MapCommand {
    /** The data path's counters as the agent exports them (label {@code counter}), read when the pin is not there. */
    static final String DATAPATH_METRIC = "sluice_datapath_packets_total";

    @Option(names = "--address", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9964",
            description = "The agent's --metrics-address (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--netns", paramLabel = "NAME",
            description = "Connect from this network namespace (/run/netns/NAME), e.g. a lab node's.")
    String netns;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3",
            description = "Give up on the agent after this long (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** The drop counters, by the reason the summary gives them. */
    static final Map<String, DatapathCounter> DROPS = dropReasons();

    private static Map<String, DatapathCounter> dropReasons() {
        Map<String, DatapathCounter> m = new LinkedHashMap<>();
        m.put("policy_ingress", DatapathCounter.DROP_POLICY_INGRESS);
        m.put("policy_egress", DatapathCounter.DROP_POLICY_EGRESS);
        m.put("spoofed", DatapathCounter.DROP_SPOOFED);
        m.put("fragment", DatapathCounter.DROP_FRAGMENT);
        m.put("unsupported_l3", DatapathCounter.DROP_UNSUPPORTED_L3);
        m.put("no_backend", DatapathCounter.DROP_NO_BACKEND);
        m.put("malformed", DatapathCounter.DROP_MALFORMED);
        m.put("snat", DatapathCounter.DROP_SNAT);
        return m;
    }

    /**
     * Capacity of each map the agent reports entries for (max_entries in the C headers), where the pinned map cannot
     * be read: the agent sizes its LRU maps per node, so the pinned map's own max_entries comes first.
     */
    static final Map<String, Integer> CAPACITY = Map.ofEntries(
            Map.entry(MapName.LB4_SERVICES.cName(), DatapathConstants.LB4_SERVICES_MAX),
            Map.entry(MapName.LB4_SLOTS.cName(), DatapathConstants.LB4_SLOTS_MAX),
            Map.entry(MapName.LB4_BACKENDS.cName(), DatapathConstants.LB4_BACKENDS_MAX),
            Map.entry(MapName.LB_MAGLEV.cName(), DatapathConstants.LB_MAGLEV_MAX),
            Map.entry(MapName.LB4_SOCK_REV.cName(), DatapathConstants.LB4_SOCK_REV_MAX),
            Map.entry(MapName.LB4_AFFINITY.cName(), DatapathConstants.LB4_AFFINITY_MAX),
            Map.entry(MapName.CT4_ENTRIES.cName(), DatapathConstants.CT4_ENTRIES_MAX),
            Map.entry(MapName.IPCACHE4_HOSTS.cName(), PolicyConstants.IPCACHE4_HOSTS_MAX),
            Map.entry(MapName.IPCACHE4.cName(), PolicyConstants.IPCACHE4_ENTRIES_MAX),
            Map.entry(MapName.ENDPOINTS4.cName(), PolicyConstants.ENDPOINTS4_MAX),
            Map.entry(MapName.EP4_BY_IFINDEX.cName(), PolicyConstants.ENDPOINTS4_MAX),
            Map.entry(MapName.POLICY4_ALLOW.cName(), PolicyConstants.POLICY4_ENTRIES_MAX),
            Map.entry(MapName.POLICY4_PEERS.cName(), PolicyConstants.POLICY4_PEERS_MAX),
            Map.entry(MapName.POLICY4_CT.cName(), PolicyConstants.POLICY4_CT_MAX),
            Map.entry(MapName.FRAG4_PORTS.cName(), PolicyConstants.FRAG4_PORTS_MAX));

    private record Probe(int status, String text) {
        boolean ok() {
            return status == 200;
        }

        String describe() {
            return ok() ? "ok" : "no (" + status + (text.isEmpty() ? "" : ": " + text) + ")";
        }
    }

    private record EventRow(String kind, long received, long inStore) {
    }

    /** One map; {@code entries} is null when the agent does not report the map's size. */
    private record MapRow(String map, Long entries, Integer capacity, long operations, long errors) {
        /** The share of the capacity in use; a map that holds anything never reads as empty. */
        String fill() {
            if (capacity == null || entries == null) {
                return "-";
            }
            double percent = 100.0 * entries / capacity;
            return entries > 0 && percent < 0.1 ? "<0.1%" : String.format(Locale.ROOT, "%.1f%%", percent);
        }
    }

    private record RefusalRow(String kind, String reason, long count) {
    }

    /** Where the data path's counters were read, and their values (empty when neither source had them). */
    private record Datapath(String source, Map<DatapathCounter, Long> counters) {
    }

    @Override
    protected String run(PinnedMaps maps, OutputFormat format) {
        if (timeoutSeconds < 1 || timeoutSeconds > 300) {
            throw new CliException("--timeout: " + timeoutSeconds + " is not between 1 and 300 seconds");
        }
        AgentHttp http = new AgentHttp(address, netns, Duration.ofSeconds(timeoutSeconds));
        AgentHttp.Response scrape = http.get("/metrics");
        if (scrape.status() != 200) {
            throw new CliException(http.url("/metrics") + " answered " + scrape.status() + ": " + scrape.firstLine());
        }
        PrometheusText metrics;
        try {
            metrics = PrometheusText.parse(scrape.body());
        } catch (IllegalArgumentException e) {
            throw new CliException(http.url("/metrics") + " is not in the Prometheus text format: " + e.getMessage(), e);
        }
        AgentHttp.Response healthz = http.get("/healthz");
        AgentHttp.Response readyz = http.get("/readyz");
        Probe health = new Probe(healthz.status(), healthz.firstLine());
        Probe ready = new Probe(readyz.status(), readyz.firstLine());
        long syncs = (long) metrics.sum("sluice_sync_duration_seconds_count", s -> true);
        long overflows = (long) metrics.sum("sluice_event_queue_overflows_total", s -> true);
        List<EventRow> events = events(metrics);
        List<MapRow> mapRows = mapRows(maps, metrics);
        List<RefusalRow> refusals = metrics.named("sluice_objects_refused_total").stream()
                .map(s -> new RefusalRow(s.label("kind"), s.label("reason"), (long) s.value()))
                .sorted(java.util.Comparator.comparing(RefusalRow::kind).thenComparing(RefusalRow::reason))
                .toList();
        Datapath datapath = datapath(maps, metrics);
        return format == OutputFormat.JSON
                ? json(health, ready, syncs, overflows, events, mapRows, refusals, datapath)
                : table(health, ready, syncs, overflows, events, mapRows, refusals, datapath);
    }

    private static List<EventRow> events(PrometheusText metrics) {
        TreeSet<String> kinds = new TreeSet<>();
        metrics.named("sluice_events_received_total").forEach(s -> kinds.add(s.label("kind")));
        metrics.named("sluice_store_objects").forEach(s -> kinds.add(s.label("kind")));
        List<EventRow> rows = new ArrayList<>();
        for (String kind : kinds) {
            rows.add(new EventRow(kind, (long) metrics.sum("sluice_events_received_total", s -> s.label("kind").equals(kind)),
                    (long) metrics.sum("sluice_store_objects", s -> s.label("kind").equals(kind))));
        }
        return rows;
    }

    private static List<MapRow> mapRows(PinnedMaps maps, PrometheusText metrics) {
        TreeSet<String> names = new TreeSet<>();
        for (String metric : List.of("sluice_map_entries", "sluice_map_operations_total", "sluice_map_errors_total")) {
            metrics.named(metric).forEach(s -> names.add(s.label("map")));
        }
        List<MapRow> rows = new ArrayList<>();
        for (String map : names) {
            boolean sized = metrics.named("sluice_map_entries").stream().anyMatch(s -> s.label("map").equals(map));
            rows.add(new MapRow(map, sized ? (long) metrics.sum("sluice_map_entries", s -> s.label("map").equals(map)) : null,
                    capacity(maps, map),
                    (long) metrics.sum("sluice_map_operations_total", s -> s.label("map").equals(map)),
                    (long) metrics.sum("sluice_map_errors_total", s -> s.label("map").equals(map))));
        }
        return rows;
    }

    /** The pinned map's max_entries, else the compiled one ({@link #CAPACITY}), else null. */
    private static Integer capacity(PinnedMaps maps, String map) {
        for (MapName name : MapName.values()) {
            if (name.cName().equals(map) && maps.isPinned(name)) {
                try {
                    return maps.map(name).maxEntries();
                } catch (CliException e) {
                    break; // not readable by this user: the compiled size
                }
            }
        }
        return CAPACITY.get(map);
    }

    private Datapath datapath(PinnedMaps maps, PrometheusText metrics) {
        if (maps.isPinned(MapName.SLUICE_COUNTERS)) {
            DatapathCounters counters = maps.counters();
            return new Datapath("pinned map " + maps.pinOf(MapName.SLUICE_COUNTERS), counters.readAll());
        }
        if (metrics.has(DATAPATH_METRIC)) {
            Map<DatapathCounter, Long> values = new EnumMap<>(DatapathCounter.class);
            for (DatapathCounter c : DatapathCounter.values()) {
                values.put(c, (long) metrics.sum(DATAPATH_METRIC, s -> matches(c, s)));
            }
            return new Datapath(DATAPATH_METRIC + " at " + address, values);
        }
        return new Datapath("none: no map pinned at " + maps.pinOf(MapName.SLUICE_COUNTERS)
                + " and the agent does not export " + DATAPATH_METRIC, Map.of());
    }

    private static boolean matches(DatapathCounter counter, MetricSample sample) {
        String label = sample.label("counter");
        return label.equalsIgnoreCase(counter.name()) || label.equalsIgnoreCase(counter.cName());
    }

    private static String counterName(DatapathCounter c) {
        return c.name().toLowerCase(Locale.ROOT);
    }

    private String table(Probe health, Probe ready, long syncs, long overflows, List<EventRow> events,
                         List<MapRow> mapRows, List<RefusalRow> refusals, Datapath datapath) {
        StringBuilder out = new StringBuilder();
        out.append(new TextTable("AGENT", "HEALTHY", "READY", "SYNCS", "QUEUE-OVERFLOWS")
                .row(address, health.describe(), ready.describe(), syncs, overflows).render());
        TextTable eventTable = new TextTable("KIND", "EVENTS", "IN-STORE");
        events.forEach(e -> eventTable.row(e.kind(), e.received(), e.inStore()));
        out.append('\n').append(eventTable.render());
        TextTable mapTable = new TextTable("MAP", "ENTRIES", "CAPACITY", "FILL", "OPERATIONS", "ERRORS");
        mapRows.forEach(m -> mapTable.row(m.map(), m.entries(), m.capacity(), m.fill(), m.operations(), m.errors()));
        out.append('\n').append(mapTable.render());
        TextTable refusalTable = new TextTable("REFUSED-KIND", "REASON", "COUNT");
        refusals.forEach(r -> refusalTable.row(r.kind(), r.reason(), r.count()));
        out.append('\n').append(refusalTable.render());
        out.append('\n').append("Data path counters from ").append(datapath.source()).append('\n');
        if (!datapath.counters().isEmpty()) {
            TextTable counterTable = new TextTable("COUNTER", "VALUE");
            datapath.counters().forEach((c, v) -> counterTable.row(counterName(c), Long.toUnsignedString(v)));
            out.append(counterTable.render());
            TextTable dropTable = new TextTable("DROP-REASON", "PACKETS");
            DROPS.forEach((reason, c) -> dropTable.row(reason, Long.toUnsignedString(datapath.counters().getOrDefault(c, 0L))));
            out.append('\n').append(dropTable.render());
        }
        return out.toString();
    }

    private String json(Probe health, Probe ready, long syncs, long overflows, List<EventRow> events,
                        List<MapRow> mapRows, List<RefusalRow> refusals, Datapath datapath) {
        ObjectNode root = CliJson.object();
        ObjectNode agent = root.putObject("agent");
        agent.put("address", address);
        agent.put("healthy", health.ok());
        agent.put("health", health.text());
        agent.put("ready", ready.ok());
        agent.put("readiness", ready.text());
        agent.put("syncs", syncs);
        agent.put("queueOverflows", overflows);
        ArrayNode eventItems = root.putArray("events");
        events.forEach(e -> eventItems.addObject().put("kind", e.kind()).put("received", e.received()).put("inStore", e.inStore()));
        ArrayNode mapItems = root.putArray("maps");
        for (MapRow m : mapRows) {
            ObjectNode o = mapItems.addObject().put("map", m.map()).put("entries", m.entries());
            if (m.capacity() == null) {
                o.putNull("capacity");
            } else {
                o.put("capacity", m.capacity());
            }
            o.put("operations", m.operations()).put("errors", m.errors());
        }
        ArrayNode refusalItems = root.putArray("refusals");
        refusals.forEach(r -> refusalItems.addObject().put("kind", r.kind()).put("reason", r.reason()).put("count", r.count()));
        ObjectNode dp = root.putObject("datapath");
        dp.put("source", datapath.source());
        ObjectNode counters = dp.putObject("counters");
        datapath.counters().forEach((c, v) -> counters.put(counterName(c), v));
        ObjectNode drops = dp.putObject("drops");
        if (!datapath.counters().isEmpty()) {
            DROPS.forEach((reason, c) -> drops.put(reason, datapath.counters().getOrDefault(c, 0L)));
        }
        return CliJson.render(root);
    }
}
