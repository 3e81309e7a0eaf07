package io.sluice.agent;

import io.sluice.agent.cli.BackendCommand;
import io.sluice.agent.cli.ConntrackCommand;
import io.sluice.agent.cli.ExplainCommand;
import io.sluice.agent.cli.IdentityCommand;
import io.sluice.agent.cli.MetricsCommand;
import io.sluice.agent.cli.PolicyCommand;
import io.sluice.agent.cli.ServiceCommand;
import io.sluice.agent.demo.DemoCommand;
import io.sluice.agent.policy.MonitorCommand;
import io.sluice.agent.services.DatapathReconcilerFactory;
import io.sluice.lab.LabCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command line: every command a user runs goes through {@code bin/sluice} to here. */
@Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = SluiceCli.Version.class,
        description = "Kubernetes service load balancing and NetworkPolicy in eBPF.",
        subcommands = {DemoCommand.class, LabCommand.class, ServiceCommand.class, BackendCommand.class,
                PolicyCommand.class, IdentityCommand.class, ConntrackCommand.class, MetricsCommand.class,
                ExplainCommand.class, MonitorCommand.class})
public final class SluiceCli {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree; {@code agent} writes the real kernel maps. */
    static CommandLine commandLine() {
        return new CommandLine(new SluiceCli())
                .addSubcommand("agent", new AgentCommand(new DatapathReconcilerFactory()));
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
