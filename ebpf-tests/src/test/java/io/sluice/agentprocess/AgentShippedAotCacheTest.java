package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agentapi.ListWatchApiServer;
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
 * The shipped AOT caches: {@code bin/sluice aot-train}, run as an unprivileged user with no capabilities (as in an image
 * build: no root, no BPF, no cgroup), writes one per source into {@code $SLUICE_AOT_SHIPPED}; a real agent started
 * through the same launcher then runs on its source's (the JVM's own log says so: the manifest cache for a manifest
 * folder, the API cache for a kubeconfig) without training a node cache of its own, and a corrupt shipped cache never
 * keeps an agent from starting and programming its services.
 */
@KernelTest
class AgentShippedAotCacheTest {
    /** The user an image build's RUN step may as well be: nobody, with every capability dropped. */
    private static final int API_PORT = 6443;
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
            assertThat(log).as("every class the training ran is in the caches (picocli's too: agent/src/build/StackMapUpgrade.java)")
                    .doesNotContain("Old class has been linked");
            List<Path> caches = AgentAotCacheTest.caches(shipped);
            assertThat(caches).as("a cache per source in %s; the log:%n%s", shipped, log).hasSize(2);
            Path manifestsCache = cache(caches, "manifests");
            Path apiCache = cache(caches, "api");
            for (Path cache : caches) {
                assertThat(cache.resolveSibling(cache.getFileName() + ".config")).as("the JVM's temporary training file").doesNotExist();
            }
            System.out.printf("aot-train (300 Services, as nobody without capabilities): %.1f s, caches %d MiB (manifests), %d MiB (api)%n",
                    trainingSeconds, Files.size(manifestsCache) >> 20, Files.size(apiCache) >> 20);

            net.startNameListeners();
            net.manifest("web.yaml", AgentServiceTrafficTest.service() + AgentServiceTrafficTest.slice(AgentNode.BACKEND_A));
            Map<String, String> env = Map.of("SLUICE_AOT_DIR", nodeDir.toString(), "SLUICE_AOT_SHIPPED", shipped.toString(),
                    "SLUICE_JAVA_OPTS", "-Xlog:aot=info");
            Process agent = net.startAgent(env, "--manifests", net.manifests.toString());
            assertThat(AgentScaleBenchmark.aotMode(agent.pid())).isEqualTo("shipped cache");
            assertThat(net.logOf(agent)).contains("Opened AOT cache " + manifestsCache).contains("Using AOT-linked classes: true");
            AgentAotCacheTest.assertAnswers(net);
            AgentAotCacheTest.stopAndAwait(agent);
            assertThat(AgentAotCacheTest.caches(nodeDir)).as("no node cache trained while a shipped one is there").isEmpty();

            // The same Service from an API server: the agent starts on the cache trained on the API path.
            try (ListWatchApiServer api = ListWatchApiServer.start(net.node, API_PORT)) {
                api.collection("/api/v1/services", "ServiceList", "v1")
                        .collection("/apis/discovery.k8s.io/v1/endpointslices", "EndpointSliceList", "discovery.k8s.io/v1")
                        .collection("/api/v1/pods", "PodList", "v1")
                        .collection("/api/v1/namespaces", "NamespaceList", "v1")
                        .collection("/api/v1/nodes", "NodeList", "v1")
                        .collection("/apis/networking.k8s.io/v1/networkpolicies", "NetworkPolicyList", "networking.k8s.io/v1");
                KubernetesSerialization serialization = new KubernetesSerialization();
                api.put("/api/v1/services", serialization.unmarshal(AgentServiceTrafficTest.service(), Service.class));
                api.put("/apis/discovery.k8s.io/v1/endpointslices",
                        serialization.unmarshal(AgentServiceTrafficTest.slice(AgentNode.BACKEND_A), EndpointSlice.class));
                Process fromApi = net.startAgent(env, "--kubeconfig", ListWatchApiServer.kubeconfig(net.state, API_PORT).toString());
                assertThat(net.logOf(fromApi)).contains("Opened AOT cache " + apiCache).contains("Using AOT-linked classes: true");
                AgentAotCacheTest.assertAnswers(net);
                AgentAotCacheTest.stopAndAwait(fromApi);
            }

            // A corrupt shipped cache (overwritten with zeros): the JVM reports it and loads classes as usual.
            Files.write(manifestsCache, new byte[(int) Math.min(Files.size(manifestsCache), 1 << 20)]);
            Process afterCorruption = net.startAgent(env, "--manifests", net.manifests.toString());
            assertThat(net.logOf(afterCorruption)).contains("Unable to map shared spaces").doesNotContain("Using AOT-linked classes: true");
            AgentAotCacheTest.assertAnswers(net);
            AgentAotCacheTest.stopAndAwait(afterCorruption);
        } finally {
            Topology.deleteTree(shipped);
            Topology.deleteTree(nodeDir);
        }
    }

    /** The one cache of {@code caches} trained on {@code source} ({@code sluice-agent-SOURCE-KEY.aot}). */
    private static Path cache(List<Path> caches, String source) {
        List<Path> of = caches.stream().filter(c -> c.getFileName().toString().startsWith("sluice-agent-" + source + "-")).toList();
        assertThat(of).as("the %s cache among %s", source, caches).hasSize(1);
        return of.getFirst();
    }
}
