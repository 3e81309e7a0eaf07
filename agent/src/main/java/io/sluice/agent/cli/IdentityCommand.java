package io.sluice.agent.cli;

import io.sluice.agent.cli.PolicyView.Endpoint;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyConstants;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code sluice identity}: the security identities the data path knows. */
@Command(name = "identity", mixinStandardHelpOptions = true, subcommands = IdentityCommand.ListIdentities.class,
        description = "Security identities: which addresses have each (ipcache4) and which local endpoints.")
public final class IdentityCommand extends CommandGroup {

    /** What the maps say of one identity. */
    private record Identity(int id, List<Ipcache4Key> prefixes, List<Endpoint> endpoints, int policyEntries) {
    }

    /**
     * {@code sluice identity list}: every identity in ipcache4, in endpoints4 or named by a policy4 entry, and the
     * reserved host and world.
     */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List identities: the reserved 1 (host) and 2 (world: addresses no prefix covers), and every"
                    + " identity the ipcache gives a prefix, a local endpoint has, or a policy entry allows.",
                    "PREFIXES are the ipcache4 prefixes with that identity, ENDPOINTS the local endpoints with it,"
                            + " RULES the policy4 entries naming it as peer. The maps hold no labels."})
    public static final class ListIdentities extends MapCommand {
        @Override
        protected String run(PinnedMaps maps, OutputFormat format) {
            PolicyView view = PolicyView.read(maps);
            Map<Integer, List<Ipcache4Key>> prefixes = new TreeMap<>(Integer::compareUnsigned);
            Map<Integer, List<Endpoint>> endpoints = new TreeMap<>(Integer::compareUnsigned);
            Map<Integer, Integer> rules = new TreeMap<>(Integer::compareUnsigned);
            prefixes.put(PolicyConstants.IDENTITY_HOST, new ArrayList<>());
            prefixes.put(PolicyConstants.IDENTITY_WORLD, new ArrayList<>());
            view.ipcache().forEach((prefix, id) -> prefixes.computeIfAbsent(id, i -> new ArrayList<>()).add(prefix));
            view.endpoints().forEach(e -> endpoints.computeIfAbsent(e.info().identity(), i -> new ArrayList<>()).add(e));
            for (List<Policy4Key> entries : view.allEntries().values()) {
                for (Policy4Key k : entries) {
                    if (k.identity() != PolicyConstants.IDENTITY_ANY) {
                        rules.merge(k.identity(), 1, Integer::sum);
                    }
                }
            }
            TreeMap<Integer, Identity> all = new TreeMap<>(Integer::compareUnsigned);
            for (Integer id : concat(prefixes.keySet(), endpoints.keySet(), rules.keySet())) {
                all.put(id, new Identity(id, prefixes.getOrDefault(id, List.of()), endpoints.getOrDefault(id, List.of()),
                        rules.getOrDefault(id, 0)));
            }
            return format == OutputFormat.JSON ? json(all.values()) : table(all.values());
        }

        @SafeVarargs
        private static List<Integer> concat(Iterable<Integer>... sets) {
            List<Integer> out = new ArrayList<>();
            for (Iterable<Integer> s : sets) {
                s.forEach(out::add);
            }
            return out;
        }
    }

    private static String table(Iterable<Identity> identities) {
        TextTable table = new TextTable("IDENTITY", "KIND", "PREFIXES", "ENDPOINTS", "RULES");
        for (Identity i : identities) {
            List<String> prefixes = i.prefixes().stream().map(Ipcache4Key::toString).toList();
            List<String> endpoints = i.endpoints().stream().map(e -> e.info().endpointId() + " (" + e.address() + ")").toList();
            String prefixText = prefixes.isEmpty() && i.id() == PolicyConstants.IDENTITY_WORLD ? "(every address not listed)"
                    : listed(prefixes);
            table.row(Integer.toUnsignedString(i.id()), DatapathText.identityKind(i.id()), prefixText,
                    listed(endpoints), i.policyEntries());
        }
        return table.render();
    }

    private static String listed(List<String> items) {
        return items.isEmpty() ? "-" : String.join(", ", items);
    }

    private static String json(Iterable<Identity> identities) {
        ObjectNode root = CliJson.object();
        ArrayNode items = root.putArray("identities");
        for (Identity i : identities) {
            ObjectNode o = items.addObject();
            o.put("identity", Integer.toUnsignedLong(i.id()));
            o.put("kind", DatapathText.identityKind(i.id()));
            ArrayNode prefixes = o.putArray("prefixes");
            i.prefixes().forEach(p -> prefixes.add(p.toString()));
            ArrayNode endpoints = o.putArray("endpoints");
            for (Endpoint e : i.endpoints()) {
                ObjectNode eo = endpoints.addObject();
                eo.put("endpointId", e.info().endpointId());
                eo.put("address", e.address().toString());
            }
            o.put("policyEntries", i.policyEntries());
        }
        return CliJson.render(root);
    }
}
