package io.sluice.agentapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.agentprocess.AgentNode;
import io.sluice.loader.BpfMap;
import io.sluice.maps.Codec;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.MapName;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Traffic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The agent as a separate process (the real launcher, inside a node's network namespace) against a Kubernetes API
 * server reached over HTTP through a kubeconfig: fabric8's CRUD mock server, standalone on the node's loopback.
 * Real connections from a pod to a ClusterIP follow what the test creates, scales and deletes through the API; an
 * API outage leaves the data path serving while /readyz reports it, and the agent converges to what a new server
 * holds once the API answers again.
 */
@KernelTest
class AgentApiTrafficTest {
    private static final String VIP = "198.18.100.20";
    private static final int API_PORT = 6443;

    @Test
    void servicesFollowTheApiAndSurviveItsOutage() throws Exception {
        try (AgentNode net = new AgentNode(); NodeApiServer api = NodeApiServer.start(net.node, API_PORT)) {
            net.startNameListeners();
            api.call(c -> c.resource(service()).create());
            api.call(c -> c.resource(slice(AgentNode.BACKEND_A)).create());
            Process agent = net.startAgent(Map.of(), "--kubeconfig", api.kubeconfig(net.state).toString());

            assertThat(requests(net, 10)).as("the ClusterIP from the API answers").containsOnlyKeys("backend-a");

            api.call(c -> c.resource(slice(AgentNode.BACKEND_A, AgentNode.BACKEND_B)).update());
            awaitAnswers(net, Set.of("backend-a", "backend-b"), "the slice scaled to two endpoints");

            api.call(c -> c.resource(slice(AgentNode.BACKEND_B)).update());
            awaitAnswers(net, Set.of("backend-b"), "the slice scaled to backend-b alone");
            assertThat(pinnedBackends(net)).as("backends left in the pinned map once no slot uses the others")
                    .containsExactly(AgentNode.BACKEND_B + ":8080");

            // The API goes away: the maps keep the last known state, the agent says it is not ready, and why.
            api.stop();
            await(() -> net.httpGet("/readyz").startsWith("HTTP/1.1 503"), "/readyz to report the outage");
            assertThat(net.httpGet("/readyz")).contains("API unreachable");
            assertThat(requests(net, 10)).as("traffic during the outage").containsOnlyKeys("backend-b");
            assertThat(net.httpGet("/healthz")).as("an outage is not a reason to restart the agent").startsWith("HTTP/1.1 200");

            // A new server on the same port, holding other objects: the agent relists and converges to them.
            api.startAgain();
            api.call(c -> c.resource(service()).create());
            // A fresh server counts resourceVersions from 1 again; step past the ones the agent has seen.
            for (int i = 0; i < 5; i++) {
                int n = i;
                api.call(c -> c.resource(otherService("filler-" + n)).create());
            }
            api.call(c -> c.resource(slice(AgentNode.BACKEND_A)).create());
            await(() -> net.httpGet("/readyz").startsWith("HTTP/1.1 200"), "/readyz after the API came back");
            awaitAnswers(net, Set.of("backend-a"), "the new server's slice");

            api.call(c -> c.resource(service()).delete());
            await(() -> !(Traffic.tcpRequest(net.client, VIP, 80, Duration.ofSeconds(1)) instanceof RequestOutcome.Answered),
                    "the deleted Service to stop answering");

            // Vert.x may log the killed server's reset connections as errors; Sluice itself must not have failed.
            assertThat(net.logOf(agent)).as("the agent's log").doesNotContain("flush failed").doesNotContain("ERROR io.sluice");
        }
    }

    private static List<String> pinnedBackends(AgentNode net) {
        try (BpfMap map = BpfMap.openPinned(net.pins.resolve("maps").resolve(MapName.LB4_BACKENDS.cName()));
             TypedMap<Integer, Lb4Backend> backends = new TypedMap<>(map, Codec.UINT32, Lb4Backend.CODEC)) {
            return backends.entries().values().stream().map(b -> b.address() + ":" + b.port()).sorted().toList();
        }
    }

    private static Map<String, Integer> requests(AgentNode net, int n) {
        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < n; i++) {
            RequestOutcome outcome = Traffic.tcpRequest(net.client, VIP, 80, Traffic.DEFAULT_TIMEOUT);
            String key = outcome instanceof RequestOutcome.Answered a ? a.line() : outcome.toString();
            answers.merge(key, 1, Integer::sum);
        }
        return answers;
    }

    private static void awaitAnswers(AgentNode net, Set<String> backends, String what) {
        AtomicReference<Map<String, Integer>> last = new AtomicReference<>();
        await(() -> {
            last.set(requests(net, 8));
            return last.get().keySet().equals(backends);
        }, () -> what + " (last answers: " + last.get() + ")");
    }

    /** Polls; the bound only keeps a broken agent from hanging the build, it is not what the test asserts. */
    private static void await(Supplier<Boolean> condition, String what) {
        await(condition, () -> what);
    }

    private static void await(Supplier<Boolean> condition, Supplier<String> what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what.get());
            }
            AgentNode.awaitQuietly(Duration.ofMillis(200));
        }
    }

    private static Service service() {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace("default").withName("web").endMetadata()
                .withNewSpec().withClusterIP(VIP).withClusterIPs(VIP)
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNewTargetPort(8080).endPort()
                .endSpec().build();
    }

    private static HasMetadata otherService(String name) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace("default").withName(name).endMetadata()
                .withNewSpec().withClusterIP("None").addNewPort().withName("x").withProtocol("TCP").withPort(1).endPort()
                .endSpec().build();
    }

    private static EndpointSlice slice(String... addresses) {
        EndpointSliceBuilder b = new EndpointSliceBuilder()
                .withNewMetadata().withNamespace("default").withName("web-1")
                .addToLabels("kubernetes.io/service-name", "web").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort();
        for (String address : List.of(addresses)) {
            b.addNewEndpoint().withAddresses(address).withNodeName("node-1")
                    .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
                    .endEndpoint();
        }
        return b.build();
    }
}
