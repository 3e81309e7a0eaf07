package io.sluice.agent;

import picocli.CommandLine;

/** {@code sluice agent} alone, for {@link AgentCommandTest} to run as a separate process. */
public final class AgentCommandMain {
    private AgentCommandMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentCommand()).execute(args));
    }
}
