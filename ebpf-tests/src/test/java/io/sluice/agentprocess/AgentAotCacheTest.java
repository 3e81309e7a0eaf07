package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The launcher's node-trained AOT cache ({@code bin/sluice} with {@code $SLUICE_AOT_DIR} set, and no shipped cache:
 * {@code SLUICE_AOT_SHIPPED=off}): the first agent is a training run that leaves a cache when it stops, the next agent
 * runs with that cache (the JVM's own log says so), a corrupt or missing cache never keeps an agent from starting and
 * programming its services, and without the setting the launcher uses no cache. Prints start to ready and agent CPU
 * time of each start. The shipped cache: {@link AgentShippedAotCacheTest}.
 */
@KernelTest
class AgentAotCacheTest {

    @Test
    void theFirstAgentTrainsTheCacheTheNextUsesItAndACorruptOneIsPassedOver() throws Exception {
        Path aotDir = Files.createTempDirectory("sluice-aot-");
        try (AgentNode net = new AgentNode()) {
            net.startNameListeners();
            net.manifest("web.yaml", AgentServiceTrafficTest.service() + AgentServiceTrafficTest.slice(AgentNode.BACKEND_A));
            Map<String, String> env = Map.of("SLUICE_AOT_DIR", aotDir.toString(), "SLUICE_JAVA_OPTS", "-Xlog:aot=info",
                    "SLUICE_AOT_SHIPPED", "off");

            // No cache yet: the agent starts as a training run and writes the cache once stopped with SIGTERM.
            long start = System.nanoTime();
            Process training = net.startAgent(env, "--manifests", net.manifests.toString());
            double trainingStart = (System.nanoTime() - start) / 1e9;
            double trainingCpu = cpuSeconds(training);
            assertThat(net.logOf(training)).doesNotContain("Opened AOT cache");
            assertAnswers(net);
            stopAndAwait(training);
            List<Path> caches = caches(aotDir);
            assertThat(caches).as("one cache in %s after the training run; its log:%n%s", aotDir, net.logOf(training)).hasSize(1);
            Path cache = caches.getFirst();
            assertThat(Files.size(cache)).isPositive();
            assertThat(cache.resolveSibling(cache.getFileName() + ".config")).as("the JVM's temporary training file").doesNotExist();

            // The next agent maps the cache: its classes come loaded and linked.
            start = System.nanoTime();
            Process cached = net.startAgent(env, "--manifests", net.manifests.toString());
            double cachedStart = (System.nanoTime() - start) / 1e9;
            double cachedCpu = cpuSeconds(cached);
            assertThat(net.logOf(cached)).contains("Opened AOT cache " + cache).contains("Using AOT-linked classes: true");
            assertAnswers(net);
            stopAndAwait(cached);
            assertThat(caches(aotDir)).as("a used cache is kept, not retrained").containsExactly(cache);

            // A corrupt cache (overwritten with zeros): the JVM reports it and loads classes as usual.
            Files.write(cache, new byte[(int) Math.min(Files.size(cache), 1 << 20)]);
            Process afterCorruption = net.startAgent(env, "--manifests", net.manifests.toString());
            assertThat(net.logOf(afterCorruption)).contains("Unable to map shared spaces").doesNotContain("Using AOT-linked classes: true");
            assertAnswers(net);
            stopAndAwait(afterCorruption);

            // SLUICE_AOT_DIR empty (or unset, the default), no shipped cache: the agent neither trains nor uses a cache.
            start = System.nanoTime();
            Process off = net.startAgent(Map.of("SLUICE_AOT_DIR", "", "SLUICE_JAVA_OPTS", "-Xlog:aot=info", "SLUICE_AOT_SHIPPED", "off"),
                    "--manifests", net.manifests.toString());
            double offStart = (System.nanoTime() - start) / 1e9;
            double offCpu = cpuSeconds(off);
            assertThat(net.logOf(off)).doesNotContain("Opened AOT cache").doesNotContain("Using AOT-linked classes: true");
            assertAnswers(net);
            System.out.printf("one service, start to ready (agent CPU): without a cache %.2f s (%.2f s), as the training run"
                            + " %.2f s (%.2f s), with the cache %.2f s (%.2f s); load average %s%n", offStart, offCpu,
                    trainingStart, trainingCpu, cachedStart, cachedCpu, Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            stopAndAwait(off);
        } finally {
            Topology.deleteTree(aotDir);
        }
    }

    static void assertAnswers(AgentNode net) {
        assertThat(AgentServiceTrafficTest.requests(net, 4, false)).as("the ClusterIP answers from the pod").containsOnlyKeys("backend-a");
    }

    /** SIGTERM, then waits for the exit, which for a training run includes writing the cache (seconds). */
    static void stopAndAwait(Process agent) throws Exception {
        agent.destroy();
        if (!agent.waitFor(90, TimeUnit.SECONDS)) {
            AgentNode.kill9(agent);
            throw new AssertionError("the agent did not stop within 90 s of SIGTERM");
        }
    }

    private static double cpuSeconds(Process agent) {
        return agent.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    static List<Path> caches(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".aot")).toList();
        }
    }
}
