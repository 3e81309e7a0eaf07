package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command tree {@code bin/sluice} runs: {@code sluice agent} gets a tree of its own that answers as the full one. */
class SluiceCliTest {

    /** What running {@code args} through {@code cli} prints and returns. */
    private record Outcome(int exitCode, String out, String err) {
    }

    private static Outcome run(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /** The full tree, as {@code sluice} builds it for any other command. */
    private static CommandLine fullTree() {
        return SluiceCli.commandLine("service");
    }

    @Test
    void agentHelpAndVersionAreThoseOfTheFullTree() {
        for (List<String> args : List.of(List.of("agent", "--help"), List.of("agent", "--version"))) {
            String[] argv = args.toArray(String[]::new);
            Outcome agentTree = run(SluiceCli.commandLine(argv), argv);
            Outcome full = run(fullTree(), argv);
            assertThat(agentTree).as("sluice %s", String.join(" ", args)).isEqualTo(full);
            assertThat(agentTree.exitCode()).isZero();
        }
        assertThat(run(SluiceCli.commandLine("agent", "--help"), "agent", "--help").out())
                .startsWith("Usage: sluice agent ").contains("--manifests=DIR");
    }

    @Test
    void agentVersionPrintsTheVersionAsTheRootDoes() {
        String root = run(fullTree(), "--version").out();
        assertThat(root).startsWith("sluice ");
        for (String[] argv : new String[][] {{"agent", "--version"}, {"agent", "-V"}}) {
            Outcome agent = run(SluiceCli.commandLine(argv), argv);
            assertThat(agent.out()).as("sluice %s", String.join(" ", argv)).isEqualTo(root);
            assertThat(agent.exitCode()).isZero();
        }
    }

    @Test
    void anInvalidAgentSettingEndsWithTheSameMessageAndExitCodeAsInTheFullTree() {
        String[][] invalid = {
                {"agent", "--no-such-flag"},
                {"agent", "--node-name", "node-1", "--manifests", "/tmp/x", "--maglev-table-size", "1000"},
                {"agent", "--maglev-table-size", "many"},
        };
        for (String[] argv : invalid) {
            Outcome agentTree = run(SluiceCli.commandLine(argv), argv);
            Outcome full = run(fullTree(), argv);
            assertThat(agentTree).as("sluice %s", String.join(" ", argv)).isEqualTo(full);
            assertThat(agentTree.exitCode()).as("sluice %s", String.join(" ", argv)).isEqualTo(2);
            assertThat(agentTree.err()).isNotBlank();
        }
    }

    @Test
    void onlyAnAgentRunLoadsChronicleAhead() {
        assertThat(SluiceCli.startsAnAgent("agent", "--manifests", "/tmp/m", "--node-name", "n")).isTrue();
        assertThat(SluiceCli.startsAnAgent("agent")).isTrue();
        for (String[] args : new String[][] {{}, {"service", "list"}, {"--help"}, {"agent", "--help"}, {"agent", "-h"},
                {"agent", "--manifests", "/tmp/m", "--version"}, {"agent", "-V"}, {"agent", "-hV"}, {"agentx"}}) {
            assertThat(SluiceCli.startsAnAgent(args)).as("sluice %s", String.join(" ", args)).isFalse();
        }
    }

    @Test
    void aotTrainingRunsInTheAgentsSmallTreeHiddenFromHelp() {
        assertThat(SluiceCli.startsAnAgent("aot-train", "--services", "10")).isTrue();
        assertThat(SluiceCli.startsAnAgent("aot-train", "--help")).isFalse();
        assertThat(SluiceCli.commandLine("aot-train").getSubcommands().keySet()).containsExactly("aot-train");
        assertThat(run(SluiceCli.commandLine("--help"), "--help").out()).doesNotContain("aot-train");
    }

    @Test
    void everyOtherCommandIsInTheTreeOfAnythingButTheAgent() {
        for (String first : List.of("service", "--help", "lab", "agentx")) {
            assertThat(SluiceCli.commandLine(first).getSubcommands().keySet())
                    .as("the tree for 'sluice %s ...'", first)
                    .contains("agent", "demo", "lab", "service", "backend", "policy", "identity", "ct",
                            "metrics", "explain", "monitor");
        }
        assertThat(SluiceCli.commandLine().getSubcommands()).containsKey("service");
        Outcome rootHelp = run(SluiceCli.commandLine("--help"), "--help");
        assertThat(rootHelp.out()).contains("agent", "service", "monitor");
    }
}
