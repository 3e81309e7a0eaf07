package io.sluice.agent.cli;

import io.sluice.agent.cli.ServiceView.Frontend;
import io.sluice.agent.cli.ServiceView.SlotShare;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code sluice service}: the service frontends the data path balances. */
@Command(name = "service", mixinStandardHelpOptions = true, subcommands = ServiceCommand.ListFrontends.class,
        description = "Service frontends as the data path holds them.")
public final class ServiceCommand extends CommandGroup {

    /** {@code sluice service list}: one row per frontend of {@code lb4_services}, with the backends of its slots. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the service frontends (lb4_services) with the backends their slots point at.",
                    "The maps hold no Service names: a frontend is its address, port, protocol and scope."})
    public static final class ListFrontends extends MapCommand {
        @Override
        protected String run(PinnedMaps maps, OutputFormat format) {
            List<Frontend> frontends = ServiceView.read(maps).frontends();
            return format == OutputFormat.JSON ? json(frontends) : table(frontends);
        }

        private static String table(List<Frontend> frontends) {
            TextTable table = new TextTable("FRONTEND", "SCOPE", "SERVICE-ID", "FLAGS", "SLOTS", "BACKENDS");
            for (Frontend f : frontends) {
                List<String> flags = new ArrayList<>(DatapathText.serviceFlags(f.service().flags()));
                if (flags.remove("affinity")) {
                    flags.addFirst("affinity=" + f.service().affinityTimeoutSeconds() + "s");
                }
                table.row(DatapathText.frontend(f.key()), DatapathText.scope(f.key().scope()),
                        Integer.toUnsignedString(f.service().serviceId()), DatapathText.joined(flags),
                        f.slotCount(), backends(f));
            }
            return table.render();
        }

        private static String backends(Frontend f) {
            if (f.service().backendCount() == 0) {
                return "none (connections refused)";
            }
            boolean weighted = f.backends().stream().anyMatch(s -> s.slots() > 1);
            List<String> parts = new ArrayList<>();
            for (SlotShare s : f.backends()) {
                String text = s.backend() == null ? "#" + Integer.toUnsignedString(s.backendId()) + " missing"
                        : DatapathText.endpoint(s.backend().address(), s.backend().port());
                parts.add(weighted ? text + " (" + s.slots() + " slots)" : text);
            }
            if (f.emptySlots() > 0) {
                parts.add(f.emptySlots() + (f.emptySlots() == 1 ? " slot empty" : " slots empty"));
            }
            return String.join(", ", parts);
        }

        private static String json(List<Frontend> frontends) {
            ObjectNode root = CliJson.object();
            ArrayNode items = root.putArray("services");
            for (Frontend f : frontends) {
                ObjectNode o = items.addObject();
                o.put("frontend", DatapathText.frontend(f.key()));
                o.put("address", f.key().address().toString());
                o.put("port", f.key().port());
                o.put("protocol", f.key().protocol().name());
                o.put("scope", DatapathText.scope(f.key().scope()));
                o.put("serviceId", Integer.toUnsignedLong(f.service().serviceId()));
                ArrayNode flags = o.putArray("flags");
                DatapathText.serviceFlags(f.service().flags()).forEach(flags::add);
                o.put("affinityTimeoutSeconds", Integer.toUnsignedLong(f.service().affinityTimeoutSeconds()));
                o.put("slots", f.slotCount());
                o.put("emptySlots", f.emptySlots());
                ArrayNode backends = o.putArray("backends");
                for (SlotShare s : f.backends()) {
                    ObjectNode b = backends.addObject();
                    b.put("id", Integer.toUnsignedLong(s.backendId()));
                    if (s.backend() == null) {
                        b.put("missing", true);
                    } else {
                        b.put("address", s.backend().address().toString());
                        b.put("port", s.backend().port());
                        b.put("protocol", s.backend().protocol().name());
                    }
                    b.put("slots", s.slots());
                }
            }
            return CliJson.render(root);
        }
    }
}
