package io.sluice.agent.cli;

import io.sluice.agent.cli.PolicyView.Endpoint;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyDirection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code sluice policy}: NetworkPolicy as the data path enforces it. */
@Command(name = "policy", mixinStandardHelpOptions = true, subcommands = PolicyCommand.ListPolicy.class,
        description = "NetworkPolicy as the data path enforces it: endpoints and their allow entries.")
public final class PolicyCommand extends CommandGroup {

    /** {@code sluice policy list}: per local endpoint and direction, the default and the allow entries. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List each local endpoint (endpoints4) per direction: DEFAULT is 'deny' when the endpoint"
                    + " enforces that direction (a NetworkPolicy selects it), else 'allow'; then one row per allow"
                    + " entry of policy4 (peer identity, protocol, ports).",
                    "Identities are numbers: 'sluice identity list' shows which addresses have each."})
    public static final class ListPolicy extends MapCommand {
        @Option(names = "--endpoint", paramLabel = "IP|ID", description = "Only this endpoint (its pod address or endpoint id).")
        String endpoint;

        @Override
        protected String run(PinnedMaps maps, OutputFormat format) {
            PolicyView view = PolicyView.read(maps);
            List<Endpoint> endpoints = view.endpoints().stream().filter(this::selected).toList();
            Map<Integer, List<Policy4Key>> orphans = endpoint == null ? view.orphanEntries() : Map.of();
            return format == OutputFormat.JSON ? json(view, endpoints, orphans) : table(view, endpoints, orphans);
        }

        private boolean selected(Endpoint e) {
            if (endpoint == null) {
                return true;
            }
            if (endpoint.contains(".")) {
                return e.address().equals(Cli.parseIpv4("--endpoint", endpoint));
            }
            try {
                return e.info().endpointId() == Integer.parseInt(endpoint.trim());
            } catch (NumberFormatException ex) {
                throw new CliException("--endpoint: '" + endpoint + "' is neither an IPv4 address nor an endpoint id");
            }
        }
    }

    private static String direction(PolicyDirection d) {
        return d.name().toLowerCase(Locale.ROOT);
    }

    private static String table(PolicyView view, List<Endpoint> endpoints, Map<Integer, List<Policy4Key>> orphans) {
        TextTable table = new TextTable("ENDPOINT", "ADDRESS", "IDENTITY", "DIRECTION", "DEFAULT", "PEER", "PROTOCOL", "PORTS");
        for (Endpoint e : endpoints) {
            for (PolicyDirection d : PolicyDirection.values()) {
                String def = e.info().enforces(d) ? "deny" : "allow";
                List<Policy4Key> entries = view.entries(e.info().endpointId(), d);
                Object[] head = {e.info().endpointId(), e.address(), DatapathText.identity(e.info().identity()), direction(d), def};
                if (entries.isEmpty()) {
                    table.row(head[0], head[1], head[2], head[3], head[4], null, null, null);
                }
                for (Policy4Key k : entries) {
                    table.row(head[0], head[1], head[2], head[3], head[4], DatapathText.identity(k.identity()),
                            DatapathText.policyProtocol(k), DatapathText.policyPorts(k));
                }
            }
        }
        orphans.forEach((id, entries) -> {
            for (Policy4Key k : entries) {
                table.row(id, "(no endpoint)", null, direction(k.direction()), null, DatapathText.identity(k.identity()),
                        DatapathText.policyProtocol(k), DatapathText.policyPorts(k));
            }
        });
        return table.render();
    }

    private static String json(PolicyView view, List<Endpoint> endpoints, Map<Integer, List<Policy4Key>> orphans) {
        ObjectNode root = CliJson.object();
        root.put("revision", Integer.toUnsignedLong(view.revision()));
        ArrayNode items = root.putArray("endpoints");
        for (Endpoint e : endpoints) {
            ObjectNode o = items.addObject();
            o.put("endpointId", e.info().endpointId());
            o.put("address", e.address().toString());
            o.put("identity", Integer.toUnsignedLong(e.info().identity()));
            o.put("ifindex", Integer.toUnsignedLong(e.info().ifindex()));
            ArrayNode veths = o.putArray("interfaces");
            e.interfaces().forEach(i -> veths.add(Integer.toUnsignedLong(i)));
            for (PolicyDirection d : PolicyDirection.values()) {
                ObjectNode side = o.putObject(direction(d));
                side.put("enforced", e.info().enforces(d));
                ArrayNode entries = side.putArray("entries");
                view.entries(e.info().endpointId(), d).forEach(k -> entry(entries.addObject(), k));
            }
        }
        ArrayNode orphanItems = root.putArray("orphanEntries");
        orphans.forEach((id, entries) -> entries.forEach(k -> {
            ObjectNode o = orphanItems.addObject();
            o.put("endpointId", id);
            o.put("direction", direction(k.direction()));
            entry(o, k);
        }));
        return CliJson.render(root);
    }

    private static void entry(ObjectNode o, Policy4Key k) {
        o.put("peerIdentity", Integer.toUnsignedLong(k.identity()));
        o.put("peerKind", DatapathText.identityKind(k.identity()));
        o.put("protocol", DatapathText.policyProtocol(k));
        int[] ports = DatapathText.policyPortRange(k);
        o.put("firstPort", ports[0]);
        o.put("lastPort", ports[1]);
        o.put("prefixLength", k.prefixLength());
    }
}
