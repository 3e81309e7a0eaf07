package io.sluice.agent;

import io.sluice.agent.cli.BackendCommand;
import io.sluice.agent.cli.ConntrackCommand;
import io.sluice.agent.cli.ExplainCommand;
import io.sluice.agent.cli.IdentityCommand;
import io.sluice.agent.cli.MetricsCommand;
import io.sluice.agent.cli.PolicyCommand;
import io.sluice.agent.cli.ServiceCommand;
import io.sluice.agent.demo.DemoCommand;
import io.sluice.agent.ids.ChronicleClasses;
import io.sluice.agent.policy.MonitorCommand;
import io.sluice.agent.services.DatapathReconcilerFactory;
import io.sluice.lab.LabCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command line: every command a user runs goes through {@code bin/sluice} to here. */
@Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = SluiceCli.Version.class,
        description = SluiceCli.DESCRIPTION,
        subcommands = {DemoCommand.class, LabCommand.class, ServiceCommand.class, BackendCommand.class,
                PolicyCommand.class, IdentityCommand.class, ConntrackCommand.class, MetricsCommand.class,
                ExplainCommand.class, MonitorCommand.class})
public final class SluiceCli {
    static final String DESCRIPTION = "Kubernetes service load balancing and NetworkPolicy in eBPF.";

    public static void main(String[] args) {
        if (startsAnAgent(args)) {
            // On the core the command line's parsing leaves idle; the id files open later, with the parse running.
            ChronicleClasses.loadInBackground();
        }
        System.exit(commandLine(args).execute(args));
    }

    /**
     * The command tree for {@code args}. {@code sluice agent ...} gets a tree holding only the agent: picocli reads
     * every command's annotations and fields when the tree is built, and the other ten (with the classes their
     * fields name: Jackson's tree model, the map codecs, the lab) were 0.2-0.3 s of the agent's start on the one
     * core busy then, before the manifest parse or the data path load begins. What the agent's command line accepts
     * and prints is the same in both trees.
     */
    static CommandLine commandLine(String... args) {
        if (args.length > 0 && args[0].equals("agent")) {
            return new CommandLine(new AgentOnly()).addSubcommand("agent", agentCommand());
        }
        if (args.length > 0 && args[0].equals("aot-train")) {
            // The training start (bin/sluice aot-train) loads what the agent's start loads: the same small tree.
            // --source takes manifests and api as the launcher spells them.
            return new CommandLine(new AgentOnly()).addSubcommand("aot-train", new AotTrainingCommand())
                    .setCaseInsensitiveEnumValuesAllowed(true);
        }
        return new CommandLine(new SluiceCli()).addSubcommand("agent", agentCommand());
    }

    /**
     * Whether {@code args} run an agent (or {@code aot-train}'s training agent) rather than ask for its help or version
     * (whose output stays free of what Chronicle logs while it loads).
     */
    static boolean startsAnAgent(String... args) {
        if (args.length == 0 || !(args[0].equals("agent") || args[0].equals("aot-train"))) {
            return false;
        }
        for (String arg : args) {
            // The agent's short options are -h and -V alone, so a cluster of short options is of these two.
            if (arg.equals("--help") || arg.equals("--version") || arg.matches("-[hV]+")) {
                return false;
            }
        }
        return true;
    }

    /** {@code agent} writes the real kernel maps. */
    private static AgentCommand agentCommand() {
        return new AgentCommand(new DatapathReconcilerFactory());
    }

    /** The root of {@code sluice agent ...}: {@link SluiceCli}'s name, options and version without its other commands. */
    @Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = SluiceCli.Version.class,
            description = DESCRIPTION)
    static final class AgentOnly {
    }

    /** The version from the jar's manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SluiceCli.class.getPackage().getImplementationVersion();
            return new String[] {"sluice " + (v == null ? "development" : v)};
        }
    }
}
