package io.sluice.agent;

import io.sluice.agent.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command line: every command a user runs goes through {@code bin/sluice} to here. */
@Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = SluiceCli.Version.class,
        description = "Kubernetes service load balancing and NetworkPolicy in eBPF.",
        subcommands = {AgentCommand.class, DemoCommand.class})
public final class SluiceCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new SluiceCli()).execute(args));
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
