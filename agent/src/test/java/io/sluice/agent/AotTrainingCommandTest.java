package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice aot-train} in this JVM (the launcher's run as an unprivileged user, recording a cache, is
 * {@code AgentShippedAotCacheTest} in ebpf-tests): the training agent reads every generated object without a refusal
 * (the command checks the store against what it generated and fails otherwise), answers its HTTP endpoints, takes the
 * changes, stops and ends with exit code 0, and the classes of the paths it cannot run are loaded.
 */
class AotTrainingCommandTest {

    @Test
    void theTrainingStartReadsEveryGeneratedObjectAndEnds() {
        StringWriter err = new StringWriter();
        int exit = SluiceCli.commandLine("aot-train").setErr(new PrintWriter(err))
                .execute("aot-train", "--services", "60", "--changes", "20", "--ready-timeout", "120");
        assertThat(exit).as("exit code; stderr:%n%s", err).isZero();
    }

    @Test
    void theAgentsClassesAreLoadedFromItsCode() throws Exception {
        assertThat(AotTrainingCommand.loadKernelPathClasses()).as("the agent module's classes outside the other commands (95 now)").isGreaterThan(50);
    }
}
