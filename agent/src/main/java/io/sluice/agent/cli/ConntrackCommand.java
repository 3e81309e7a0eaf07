package io.sluice.agent.cli;

import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Pct4Entry;
import io.sluice.maps.Pct4Key;
import io.sluice.maps.Policy4State;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code sluice ct}: the flows the data path tracks. */
@Command(name = "ct", mixinStandardHelpOptions = true, subcommands = ConntrackCommand.ListFlows.class,
        description = "Connection tracking: service flows (ct4_entries) and policy flows (policy4_ct).")
public final class ConntrackCommand extends CommandGroup {

    /** {@code sluice ct list}: the service conntrack, or with {@code --policy} the policy conntrack. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List tracked flows. Service flows (ct4_entries) by default: a 'service' entry is keyed by"
                    + " the client's packet and names the backend (NAT), a 'reply' entry is keyed by the backend's"
                    + " answer and names the frontend to restore.",
                    "With --policy: the policy conntrack (policy4_ct), with the revision under which each side's"
                            + " check admitted the flow (0: not checked yet)."})
    public static final class ListFlows extends MapCommand {
        @Option(names = "--policy", description = "List the policy conntrack (policy4_ct) instead.")
        boolean policy;

        @Option(names = "--address", paramLabel = "IP", description = "Only flows with this address at either end.")
        String address;

        @Override
        protected String run(PinnedMaps maps, OutputFormat format) {
            Ipv4 only = address == null ? null : Cli.parseIpv4("--address", address);
            if (policy) {
                int current = maps.policyState().get(0).map(Policy4State::revision).orElse(0);
                List<Map.Entry<Pct4Key, Pct4Entry>> flows = PinnedMaps.readAll(maps.policyConntrack()).entrySet().stream()
                        .filter(e -> only == null || e.getKey().source().equals(only) || e.getKey().destination().equals(only))
                        .sorted(Map.Entry.comparingByKey(POLICY_ORDER))
                        .toList();
                return format == OutputFormat.JSON ? policyJson(flows, current) : policyTable(flows, current);
            }
            List<Map.Entry<Ct4Key, Ct4Entry>> flows = PinnedMaps.readAll(maps.conntrack()).entrySet().stream()
                    .filter(e -> only == null || e.getKey().source().equals(only) || e.getKey().destination().equals(only))
                    .sorted(Map.Entry.comparingByKey(SERVICE_ORDER))
                    .toList();
            return format == OutputFormat.JSON ? serviceJson(flows) : serviceTable(flows);
        }
    }

    private static final Comparator<Ct4Key> SERVICE_ORDER = Comparator.comparing(Ct4Key::source)
            .thenComparingInt(Ct4Key::sourcePort).thenComparing(Ct4Key::destination)
            .thenComparingInt(Ct4Key::destinationPort).thenComparing(Ct4Key::protocol);

    private static final Comparator<Pct4Key> POLICY_ORDER = Comparator.comparing(Pct4Key::source)
            .thenComparingInt(Pct4Key::sourcePort).thenComparing(Pct4Key::destination)
            .thenComparingInt(Pct4Key::destinationPort).thenComparingInt(Pct4Key::protocol);

    /** {@code service}, {@code reply}, or {@code unknown} for an entry with neither bit. */
    static String entryType(Ct4Entry entry) {
        if (entry.has(DatapathConstants.CT_F_SERVICE)) {
            return "service";
        }
        return entry.has(DatapathConstants.CT_F_REPLY) ? "reply" : "unknown";
    }

    private static String peer(Ct4Entry e) {
        if (!e.has(DatapathConstants.CT_F_SNAT)) {
            return null;
        }
        return (e.has(DatapathConstants.CT_F_SERVICE) ? "source " : "client ") + DatapathText.endpoint(e.peerAddress(), e.peerPort());
    }

    private static String serviceTable(List<Map.Entry<Ct4Key, Ct4Entry>> flows) {
        TextTable table = new TextTable("SOURCE", "DESTINATION", "PROTOCOL", "TYPE", "NAT", "PEER", "SERVICE-ID",
                "BACKEND-ID", "FLAGS");
        for (Map.Entry<Ct4Key, Ct4Entry> f : flows) {
            Ct4Key k = f.getKey();
            Ct4Entry e = f.getValue();
            table.row(DatapathText.endpoint(k.source(), k.sourcePort()), DatapathText.endpoint(k.destination(), k.destinationPort()),
                    k.protocol(), entryType(e), DatapathText.endpoint(e.natAddress(), e.natPort()), peer(e),
                    Integer.toUnsignedString(e.serviceId()), Integer.toUnsignedString(e.backendId()),
                    DatapathText.joined(DatapathText.conntrackFlags(e.flags())));
        }
        return table.render();
    }

    private static String serviceJson(List<Map.Entry<Ct4Key, Ct4Entry>> flows) {
        ObjectNode root = CliJson.object();
        ArrayNode items = root.putArray("flows");
        for (Map.Entry<Ct4Key, Ct4Entry> f : flows) {
            Ct4Key k = f.getKey();
            Ct4Entry e = f.getValue();
            ObjectNode o = items.addObject();
            o.put("source", k.source().toString());
            o.put("sourcePort", k.sourcePort());
            o.put("destination", k.destination().toString());
            o.put("destinationPort", k.destinationPort());
            o.put("protocol", k.protocol().name());
            o.put("type", entryType(e));
            o.put("natAddress", e.natAddress().toString());
            o.put("natPort", e.natPort());
            if (e.has(DatapathConstants.CT_F_SNAT)) {
                o.put("peerAddress", e.peerAddress().toString());
                o.put("peerPort", e.peerPort());
            }
            o.put("serviceId", Integer.toUnsignedLong(e.serviceId()));
            o.put("backendId", Integer.toUnsignedLong(e.backendId()));
            ArrayNode flags = o.putArray("flags");
            DatapathText.conntrackFlags(e.flags()).forEach(flags::add);
        }
        return CliJson.render(root);
    }

    private static String revision(int revision, int current) {
        if (revision == 0) {
            return "-";
        }
        String text = Integer.toUnsignedString(revision);
        return revision == current ? text + " (current)" : text;
    }

    private static String policyTable(List<Map.Entry<Pct4Key, Pct4Entry>> flows, int current) {
        TextTable table = new TextTable("SOURCE", "DESTINATION", "PROTOCOL", "EGRESS-REVISION", "INGRESS-REVISION", "FLAGS");
        for (Map.Entry<Pct4Key, Pct4Entry> f : flows) {
            Pct4Key k = f.getKey();
            Pct4Entry e = f.getValue();
            table.row(DatapathText.endpoint(k.source(), k.sourcePort()), DatapathText.endpoint(k.destination(), k.destinationPort()),
                    DatapathText.protocol(k.protocol()), revision(e.egressRevision(), current),
                    revision(e.ingressRevision(), current), DatapathText.joined(DatapathText.policyConntrackFlags(e.flags())));
        }
        return table.render();
    }

    private static String policyJson(List<Map.Entry<Pct4Key, Pct4Entry>> flows, int current) {
        ObjectNode root = CliJson.object();
        root.put("revision", Integer.toUnsignedLong(current));
        ArrayNode items = root.putArray("flows");
        for (Map.Entry<Pct4Key, Pct4Entry> f : flows) {
            Pct4Key k = f.getKey();
            Pct4Entry e = f.getValue();
            ObjectNode o = items.addObject();
            o.put("source", k.source().toString());
            o.put("sourcePort", k.sourcePort());
            o.put("destination", k.destination().toString());
            o.put("destinationPort", k.destinationPort());
            o.put("protocol", DatapathText.protocol(k.protocol()));
            o.put("egressRevision", Integer.toUnsignedLong(e.egressRevision()));
            o.put("ingressRevision", Integer.toUnsignedLong(e.ingressRevision()));
            ArrayNode flags = o.putArray("flags");
            DatapathText.policyConntrackFlags(e.flags()).forEach(flags::add);
        }
        return CliJson.render(root);
    }
}
