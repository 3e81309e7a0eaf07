package io.sluice.agent.cli;

import io.sluice.agent.cli.ServiceView.Backend;
import io.sluice.agent.cli.ServiceView.Frontend;
import java.util.List;
import picocli.CommandLine.Command;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code sluice backend}: the backends the service frontends point at. */
@Command(name = "backend", mixinStandardHelpOptions = true, subcommands = BackendCommand.ListBackends.class,
        description = "Service backends as the data path holds them.")
public final class BackendCommand extends CommandGroup {

    /** {@code sluice backend list}: one row per entry of {@code lb4_backends}, with the frontends using it. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the backends (lb4_backends) and the frontends whose slots point at each.")
    public static final class ListBackends extends MapCommand {
        @Override
        protected String run(PinnedMaps maps, OutputFormat format) {
            List<Backend> backends = ServiceView.read(maps).backends();
            return format == OutputFormat.JSON ? json(backends) : table(backends);
        }

        private static String table(List<Backend> backends) {
            TextTable table = new TextTable("ID", "ADDRESS", "PROTOCOL", "FLAGS", "FRONTENDS");
            for (Backend b : backends) {
                List<String> users = b.usedBy().stream()
                        .map(f -> DatapathText.frontend(f.key()) + " (" + DatapathText.scope(f.key().scope()) + ")")
                        .toList();
                table.row(Integer.toUnsignedString(b.id()), DatapathText.endpoint(b.backend().address(), b.backend().port()),
                        b.backend().protocol(), DatapathText.joined(DatapathText.backendFlags(b.backend().flags())),
                        users.isEmpty() ? "none (unused)" : String.join(", ", users));
            }
            return table.render();
        }

        private static String json(List<Backend> backends) {
            ObjectNode root = CliJson.object();
            ArrayNode items = root.putArray("backends");
            for (Backend b : backends) {
                ObjectNode o = items.addObject();
                o.put("id", Integer.toUnsignedLong(b.id()));
                o.put("address", b.backend().address().toString());
                o.put("port", b.backend().port());
                o.put("protocol", b.backend().protocol().name());
                ArrayNode flags = o.putArray("flags");
                DatapathText.backendFlags(b.backend().flags()).forEach(flags::add);
                ArrayNode users = o.putArray("frontends");
                for (Frontend f : b.usedBy()) {
                    ObjectNode u = users.addObject();
                    u.put("frontend", DatapathText.frontend(f.key()));
                    u.put("scope", DatapathText.scope(f.key().scope()));
                    u.put("serviceId", Integer.toUnsignedLong(f.service().serviceId()));
                    u.put("slots", f.backends().stream().filter(s -> s.backendId() == b.id()).mapToInt(ServiceView.SlotShare::slots).sum());
                }
            }
            return CliJson.render(root);
        }
    }
}
