package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testnet.KernelTest;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Traffic;
import java.time.Duration;
import java.util.HashMap;
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
            Traffic.tcpListener(net.backendA, 8080, "backend-a");
            Traffic.tcpListener(net.backendB, 8080, "backend-b");
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

    static String service() {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: default
                spec:
                  clusterIP: %s
                  clusterIPs: [%s]
                  ports:
                  - name: http
                    port: 80
                    targetPort: 8080
                    protocol: TCP
                  - name: echo
                    port: 90
                    targetPort: 9090
                    protocol: TCP
                ---
                """.formatted(VIP, VIP);
    }

    static String slice(String... addresses) {
        StringBuilder endpoints = new StringBuilder();
        for (String address : addresses) {
            endpoints.append("""
                    - addresses: [%s]
                      conditions: {ready: true, serving: true, terminating: false}
                      nodeName: node-1
                    """.formatted(address));
        }
        return """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  namespace: default
                  labels:
                    kubernetes.io/service-name: web
                addressType: IPv4
                ports:
                - name: http
                  port: 8080
                  protocol: TCP
                - name: echo
                  port: 9090
                  protocol: TCP
                endpoints:
                """ + endpoints;
    }
}
