package io.sluice.agent;

import static io.sluice.agent.testsupport.Http.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.ChildJvm;
import java.io.IOException;
import java.io.StringWriter;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice agent}: flags validated through the configuration; a real process serving until SIGTERM. */
class AgentCommandTest {
    @TempDir
    Path dir;

    private int execute(StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new AgentCommand());
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void anInvalidFlagEndsWithExitCode2AndNamesTheSetting() {
        StringWriter err = new StringWriter();
        int code = execute(err, "--node-name", "node-1", "--manifests", dir.toString(), "--maglev-table-size", "1000");
        assertThat(code).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("maglevTableSize: 1000 is not a prime");
    }

    @Test
    void theLruMapEntriesFlagOverridesTheConfigFileMapByMap() throws IOException {
        Path config = Files.writeString(dir.resolve("sluice.yaml"), "manifests: " + dir + "\n"
                + "lruMapEntries: {ct4_entries: 524288, lb4_affinity: 16384}\n");
        AgentCommand command = new AgentCommand();
        new CommandLine(command).parseArgs("--config", config.toString(), "--node-name", "node-1",
                "--lru-map-entries", "lb4_affinity=32768,lb4_sock_rev=4096");

        assertThat(command.config().lruMapSizes().entries()).containsEntry("ct4_entries", 524288)
                .containsEntry("lb4_affinity", 32768).containsEntry("lb4_sock_rev", 4096);
    }

    @Test
    void aBadLruMapSizeEndsWithExitCode2NamingTheMapAndTheValue() {
        StringWriter err = new StringWriter();
        int code = execute(err, "--node-name", "node-1", "--manifests", dir.toString(), "--lru-map-entries", "ct4_entries=10");
        assertThat(code).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("lruMapEntries.ct4_entries: 10 entries is outside 1024..16777216");
    }

    @Test
    void flagsAndTheConfigFileAreCheckedTogether() throws IOException {
        Path config = Files.writeString(dir.resolve("sluice.yaml"), "manifests: " + dir + "\n");
        StringWriter err = new StringWriter();
        int code = execute(err, "--config", config.toString(), "--node-name", "node-1",
                "--kubeconfig", dir.resolve("kubeconfig").toString());
        assertThat(code).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("manifests: cannot be combined with kubeconfig");
    }

    @Test
    void theAgentProcessServesFromAManifestDirectoryAndStopsOnSigterm() throws Exception {
        Files.writeString(dir.resolve("web.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: default}
                spec:
                  clusterIP: 10.96.0.10
                  ports: [{name: http, port: 80, protocol: TCP}]
                """);
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<String> command = ChildJvm.command(List.of(), AgentCommandMain.class,
                "--node-name", "node-1", "--manifests", dir.toString(), "--metrics-address", "127.0.0.1:" + port,
                "--state-dir", dir.resolve("state").toString());
        Path log = dir.resolve("agent.log");
        Process agent = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            InetSocketAddress http = new InetSocketAddress("127.0.0.1", port);
            Await.until(() -> agent.isAlive() && answers(http), () -> "the agent's /readyz; log:\n" + read(log));
            assertThat(get(http, "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(http, "/metrics").body()).contains("sluice_events_received_total{kind=\"Service\"} 1");

            agent.destroy(); // SIGTERM
            assertThat(agent.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(agent.exitValue()).as("killed by SIGTERM after the shutdown hooks ran").isEqualTo(143);
            assertThat(read(log)).contains("agent stopped");
        } finally {
            agent.destroyForcibly();
        }
    }

    private static boolean answers(InetSocketAddress http) {
        try (var socket = new java.net.Socket()) {
            socket.connect(http, 200);
        } catch (IOException e) {
            return false;
        }
        return get(http, "/readyz").statusCode() == 200;
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
