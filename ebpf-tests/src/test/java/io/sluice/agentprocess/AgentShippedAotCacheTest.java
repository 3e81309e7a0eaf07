package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped AOT cache: {@code bin/sluice aot-train}, run as an unprivileged user with no capabilities (as in an image
 * build: no root, no BPF, no cgroup), writes a cache into {@code $SLUICE_AOT_SHIPPED}; a real agent started through
 * the same launcher then runs on it (the JVM's own log says so) without training a node cache of its own, and a
 * corrupt shipped cache never keeps an agent from starting and programming its services.
 */
@KernelTest
class AgentShippedAotCacheTest {
    /** The user an image build's RUN step may as well be: nobody, with every capability dropped. */
    private static final List<String> UNPRIVILEGED = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs");

    @Test
    void aCacheTrainedWithoutKernelAccessIsUsedByTheAgentsFirstStart() throws Exception {
        Path shipped = Files.createTempDirectory("sluice-aot-shipped-");
        Path nodeDir = Files.createTempDirectory("sluice-aot-node-");
        try (AgentNode net = new AgentNode()) {
            Files.setPosixFilePermissions(shipped, PosixFilePermissions.fromString("rwxrwxrwx"));
            List<String> command = new ArrayList<>(UNPRIVILEGED);
            command.addAll(List.of(AgentNode.ROOT.resolve("bin/sluice").toString(), "aot-train", "--services", "300"));
            Path trainingLog = Files.createTempFile("sluice-aot-train-", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(trainingLog.toFile());
            builder.environment().put("SLUICE_AOT_SHIPPED", shipped.toString());
            long start = System.nanoTime();
            Process training = builder.start();
            assertThat(training.waitFor(5, TimeUnit.MINUTES)).as("aot-train ends").isTrue();
            double trainingSeconds = (System.nanoTime() - start) / 1e9;
            String log = Files.readString(trainingLog);
            Files.delete(trainingLog);
            assertThat(training.exitValue()).as("aot-train's exit code; its log:%n%s", log).isZero();
            List<Path> caches = AgentAotCacheTest.caches(shipped);
            assertThat(caches).as("one cache in %s; the log:%n%s", shipped, log).hasSize(1);
            Path cache = caches.getFirst();
            assertThat(cache.resolveSibling(cache.getFileName() + ".config")).as("the JVM's temporary training file").doesNotExist();
            System.out.printf("aot-train (300 Services, as nobody without capabilities): %.1f s, cache %d MiB%n",
                    trainingSeconds, Files.size(cache) >> 20);

            net.startNameListeners();
            net.manifest("web.yaml", AgentServiceTrafficTest.service() + AgentServiceTrafficTest.slice(AgentNode.BACKEND_A));
            Map<String, String> env = Map.of("SLUICE_AOT_DIR", nodeDir.toString(), "SLUICE_AOT_SHIPPED", shipped.toString(),
                    "SLUICE_JAVA_OPTS", "-Xlog:aot=info");
            Process agent = net.startAgent(env, "--manifests", net.manifests.toString());
            assertThat(AgentScaleBenchmark.aotMode(agent.pid())).isEqualTo("shipped cache");
            assertThat(net.logOf(agent)).contains("Opened AOT cache " + cache).contains("Using AOT-linked classes: true");
            AgentAotCacheTest.assertAnswers(net);
            AgentAotCacheTest.stopAndAwait(agent);
            assertThat(AgentAotCacheTest.caches(nodeDir)).as("no node cache trained while a shipped one is there").isEmpty();

            // A corrupt shipped cache (overwritten with zeros): the JVM reports it and loads classes as usual.
            Files.write(cache, new byte[(int) Math.min(Files.size(cache), 1 << 20)]);
            Process afterCorruption = net.startAgent(env, "--manifests", net.manifests.toString());
            assertThat(net.logOf(afterCorruption)).contains("Unable to map shared spaces").doesNotContain("Using AOT-linked classes: true");
            AgentAotCacheTest.assertAnswers(net);
            AgentAotCacheTest.stopAndAwait(afterCorruption);
        } finally {
            Topology.deleteTree(shipped);
            Topology.deleteTree(nodeDir);
        }
    }
}
