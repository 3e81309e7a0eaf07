package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testnet.KernelTest;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Traffic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The agent as users run it — the real launcher, a separate process in a node's network namespace, fed from a
 * manifest folder — programs a ClusterIP that real connections from a pod (per-packet path) and from the node
 * (socket path) reach, follows EndpointSlice changes, and removes the service when its file goes.
 */
@KernelTest
class AgentServiceTrafficTest {
    private static final String VIP = "198.18.100.10";

    @Test
    void theAgentProgramsServicesFromManifestsAndFollowsTheirChanges() throws Exception {
        try (AgentNode net = new AgentNode()) {
            net.startNameListeners();
            net.manifest("web.yaml", service() + slice(AgentNode.BACKEND_A, AgentNode.BACKEND_B));
            net.startAgent();

            Map<String, Integer> fromPod = requests(net, 20, false);
            assertThat(fromPod).as("answers to the client pod").containsOnlyKeys("backend-a", "backend-b");
            Map<String, Integer> fromNode = requests(net, 20, true);
            assertThat(fromNode).as("answers to the node's own processes").containsOnlyKeys("backend-a", "backend-b");
            assertThat(net.httpGet("/metrics")).contains("sluice_map_operations_total");

            net.manifest("web.yaml", service() + slice(AgentNode.BACKEND_A));
            awaitOnly(net, "backend-a");
            assertThat(requests(net, 20, false)).as("after backend-b left the slice").containsOnlyKeys("backend-a");

            net.deleteManifest("web.yaml");
            awaitNotAnswered(net);
        }
    }

    static Map<String, Integer> requests(AgentNode net, int n, boolean fromNode) {
        Map<String, Integer> answers = new HashMap<>();
        for (int i = 0; i < n; i++) {
            RequestOutcome outcome = fromNode
                    ? Traffic.tcpRequest(net.node.inCgroup(net.cgroup), VIP, 80, Traffic.DEFAULT_TIMEOUT)
                    : Traffic.tcpRequest(net.client, VIP, 80, Traffic.DEFAULT_TIMEOUT);
            String key = outcome instanceof RequestOutcome.Answered a ? a.line() : outcome.getClass().getSimpleName();
            answers.merge(key, 1, Integer::sum);
        }
        return answers;
    }

    private static void awaitOnly(AgentNode net, String backend) {
        for (int attempt = 0; attempt < 50; attempt++) {
            if (requests(net, 6, false).keySet().equals(java.util.Set.of(backend))) {
                return;
            }
            AgentNode.awaitQuietly(Duration.ofMillis(200));
        }
    }

    private static void awaitNotAnswered(AgentNode net) {
        for (int attempt = 0; attempt < 50; attempt++) {
            if (!(Traffic.tcpRequest(net.client, VIP, 80, Duration.ofSeconds(1)) instanceof RequestOutcome.Answered)) {
                return;
            }
            AgentNode.awaitQuietly(Duration.ofMillis(200));
        }
        throw new AssertionError("the service still answers 10 s after its manifest was deleted");
    }

    /** Port 80 answers with the backend's name, port 90 echoes. */
    private static final List<ServiceManifests.Port> PORTS = List.of(new ServiceManifests.Port("http", 80, 8080, "TCP"),
            new ServiceManifests.Port("echo", 90, 9090, "TCP"));

    /** Service {@code web} on {@link #VIP}, followed by a document separator. */
    static String service() {
        return ServiceManifests.service("web", VIP, PORTS) + "---\n";
    }

    /** The EndpointSlice of {@code web} with {@code addresses} ready. */
    static String slice(String... addresses) {
        return ServiceManifests.endpointSlice("web", PORTS, addresses);
    }
}
