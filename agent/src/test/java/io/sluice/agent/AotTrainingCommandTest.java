package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code sluice aot-train} in this JVM (the launcher's run as an unprivileged user, recording a cache, is
 * {@code AgentShippedAotCacheTest} in ebpf-tests): the training agent reads every generated object without a refusal
 * (the command checks the store against what it generated and fails otherwise), answers its HTTP endpoints, takes the
 * changes, stops and ends with exit code 0, and the classes of the paths it cannot run are loaded; from a manifest
 * folder and from the same objects served by a list/watch API server on loopback ({@code --source api}).
 */
class AotTrainingCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"manifests", "api"})
    void theTrainingStartReadsEveryGeneratedObjectAndEnds(String source) {
        StringWriter err = new StringWriter();
        int exit = SluiceCli.commandLine("aot-train").setErr(new PrintWriter(err))
                .execute("aot-train", "--source", source, "--services", "60", "--changes", "20", "--ready-timeout", "120");
        assertThat(exit).as("exit code; stderr:%n%s", err).isZero();
    }

    @Test
    void anUnknownSourceIsRefusedByName() {
        StringWriter err = new StringWriter();
        int exit = SluiceCli.commandLine("aot-train").setErr(new PrintWriter(err)).execute("aot-train", "--source", "etcd");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--source").contains("etcd");
    }

    @Test
    void theAgentsClassesAreLoadedFromItsCode() throws Exception {
        assertThat(AotTrainingCommand.loadKernelPathClasses()).as("the agent module's classes outside the other commands (95 now)").isGreaterThan(50);
    }
}
