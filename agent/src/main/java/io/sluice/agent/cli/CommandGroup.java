package io.sluice.agent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that only groups subcommands ({@code sluice service list}): alone, it is a usage error naming them. */
public abstract class CommandGroup implements Runnable {
    @Spec
    protected CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "'" + spec.qualifiedName()
                + "' needs a subcommand: " + String.join(", ", spec.subcommands().keySet()));
    }
}
