package io.sluice.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.PolicyDatapathState;
import io.sluice.maps.PolicyMaps;
import io.sluice.netpol.Reachability.Expectation;
import io.sluice.testnet.KernelTest;
import java.io.BufferedReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The NetworkPolicy truth table with real traffic, through the agent as users run it: namespaces x, y, z with pods
 * a, b, c on one node, every pod probing every pod on TCP and UDP 80 and 81 (324 connections per case), the matrix
 * compared with the one the NetworkPolicy API text gives. Policies are manifests in the agent's folder; each case
 * replaces the previous one's, so it also shows that deleting a policy restores access.
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkPolicyTruthTableTest {
    private static final String VIP = "198.19.200.10";

    private NetpolCluster cluster;

    @BeforeAll
    void startTheClusterAndTheAgent() throws Exception {
        cluster = new NetpolCluster();
        cluster.startAgent();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private void check(Map<String, String> manifests, Expectation expectation) throws Exception {
        cluster.apply(manifests);
        String differences = cluster.compare(Reachability.expected(expectation));
        assertThat(differences).as("reachability with %s", manifests.keySet()).isEmpty();
    }

    // ------------------------------------------------------------------ cases

    @Test
    void withoutPoliciesEveryPodReachesEveryPod() throws Exception {
        check(Map.of(), Reachability.ALL);
    }

    @Test
    void defaultDenyIngressIsolatesEveryPodOfTheNamespaceAndIsReportedAsDrops() throws Exception {
        try (SocketChannel monitor = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            monitor.connect(UnixDomainSocketAddress.of(cluster.state.resolve("monitor.sock")));
            check(Map.of("deny.yaml", policy("x", "deny-ingress", "{}", "[Ingress]", "", "")),
                    (from, to, probe) -> !to.in("x"));
            BufferedReader events = new BufferedReader(Channels.newReader(monitor, StandardCharsets.UTF_8));
            Future<String> firstIngressDrop = Executors.newVirtualThreadPerTaskExecutor().submit(() -> {
                for (String line = events.readLine(); line != null; line = events.readLine()) {
                    if (line.startsWith("drop policy ingress")) {
                        return line;
                    }
                }
                return null;
            });
            assertThat(firstIngressDrop.get(10, TimeUnit.SECONDS)).as("a drop event streamed to monitors")
                    .matches("drop policy ingress (tcp|udp) 198\\.18\\.\\d+\\.2:\\d+ -> 198\\.18\\.1[012]\\.2:8[01] .*");
        }
        assertThat(cluster.httpGet("/metrics")).containsPattern("sluice_policy_drops_total\\{reason=\"policy_ingress\"} [1-9]");
    }

    @Test
    void defaultDenyEgressStillLetsRepliesOfIncomingConnectionsOut() throws Exception {
        check(Map.of("deny.yaml", policy("x", "deny-egress", "{matchLabels: {pod: a}}", "[Egress]", "", "")),
                (from, to, probe) -> !from.equals(NetpolPod.of("x/a")));
    }

    @Test
    void allowFromAPodSelectorInTheSameNamespace() throws Exception {
        check(Map.of("allow.yaml", policy("x", "allow-b", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - podSelector: {matchLabels: {pod: b}}
                """, "")),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.equals(NetpolPod.of("x/b")));
    }

    @Test
    void allowFromANamespaceSelector() throws Exception {
        check(Map.of("allow.yaml", policy("x", "allow-y", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: y}}
                """, "")),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.in("y"));
    }

    @Test
    void namespaceAndPodSelectorInOnePeerSelectBoth() throws Exception {
        check(Map.of("allow.yaml", policy("x", "allow-y-c", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: y}}
                      podSelector: {matchLabels: {pod: c}}
                """, "")),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.equals(NetpolPod.of("y/c")));
    }

    @Test
    void namespaceAndPodSelectorAsTwoPeersSelectEither() throws Exception {
        check(Map.of("allow.yaml", policy("x", "allow-y-or-c", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: y}}
                    - podSelector: {matchLabels: {pod: c}}
                """, "")),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.in("y") || from.equals(NetpolPod.of("x/c")));
    }

    @Test
    void matchExpressionsSelectNamespacesAndPods() throws Exception {
        check(Map.of("allow.yaml", policy("x", "allow-expr", "{matchExpressions: [{key: pod, operator: In, values: [a, b]}]}",
                "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}
                      podSelector: {matchExpressions: [{key: pod, operator: Exists}, {key: pod, operator: NotIn, values: [a]}]}
                """, "")),
                (from, to, probe) -> !(to.equals(NetpolPod.of("x/a")) || to.equals(NetpolPod.of("x/b")))
                        || (!from.in("x") && !from.name().equals("a")));
    }

    @Test
    void ipBlockWithExceptSelectsOutsideAddressesNotPods() throws Exception {
        String ingress = policy("x", "from-outside", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - ipBlock: {cidr: 198.19.1.0/24, except: [198.19.1.16/28]}
                """, "");
        String egress = policy("x", "to-outside", "{matchLabels: {pod: b}}", "[Egress]", "", """
                  egress:
                  - to:
                    - ipBlock: {cidr: 198.19.1.0/24, except: [198.19.1.16/28]}
                """);
        check(Map.of("in.yaml", ingress, "out.yaml", egress),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) && !from.equals(NetpolPod.of("x/b")));

        NetpolPod a = NetpolPod.of("x/a");
        Duration t = NetpolCluster.PROBE_TIMEOUT;
        assertThat(cluster.probe(cluster.outside(), "tcp", a.ip(), 80, NetpolCluster.OUTSIDE_IN, t)).as("from the block").isEqualTo("x/a");
        assertThat(cluster.probe(cluster.outside(), "tcp", a.ip(), 80, NetpolCluster.OUTSIDE_EXCEPT, t)).as("from its except").isNull();
        assertThat(cluster.probe(cluster.outside(), "udp", a.ip(), 81, NetpolCluster.OUTSIDE_IN, t)).isEqualTo("x/a");
        NetworkNamespaceProbe b = new NetworkNamespaceProbe(NetpolPod.of("x/b"));
        assertThat(b.tcp(NetpolCluster.OUTSIDE_IN, 80)).as("x/b to the block").isEqualTo("outside");
        assertThat(b.tcp(NetpolCluster.OUTSIDE_EXCEPT, 80)).as("x/b to its except").isNull();
    }

    @Test
    void namedPortsResolveOnTheSelectedPod() throws Exception {
        check(Map.of("allow.yaml", policy("x", "named", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - ports:
                    - {port: serve-81-tcp, protocol: TCP}
                    - {port: serve-80-udp, protocol: UDP}
                """, "")),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a"))
                        || probe.equals(new Reachability.Probe("tcp", 81)) || probe.equals(new Reachability.Probe("udp", 80)));
    }

    @Test
    void endPortAllowsTheRangeAndOnlyIt() throws Exception {
        check(Map.of("allow.yaml", policy("x", "range", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: y}}
                    ports:
                    - {port: 81, endPort: 90, protocol: TCP}
                    - {port: 70, endPort: 80, protocol: UDP}
                """, "")),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a"))
                        || (from.in("y") && (probe.equals(new Reachability.Probe("tcp", 81))
                            || probe.equals(new Reachability.Probe("udp", 80)))));
    }

    @Test
    void egressToANamespacePlusADnsLikeUdpPort() throws Exception {
        check(Map.of("egress.yaml", policy("x", "egress-y-dns", "{matchLabels: {pod: a}}", "[Egress]", "", """
                  egress:
                  - to:
                    - namespaceSelector: {matchLabels: {ns: y}}
                  - ports:
                    - {port: 81, protocol: UDP}
                """)),
                (from, to, probe) -> !from.equals(NetpolPod.of("x/a")) || to.in("y")
                        || probe.equals(new Reachability.Probe("udp", 81)));
    }

    @Test
    void policiesSelectingOnePodAddUp() throws Exception {
        check(Map.of(
                "one.yaml", policy("x", "from-y", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: y}}
                """, ""),
                "two.yaml", policy("x", "from-z-b-udp", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: z}}
                      podSelector: {matchLabels: {pod: b}}
                    ports:
                    - {port: 80, protocol: UDP}
                """, "")),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.in("y")
                        || (from.equals(NetpolPod.of("z/b")) && probe.equals(new Reachability.Probe("udp", 80))));
    }

    @Test
    void aLabelChangeFlipsReachability() throws Exception {
        String allowB = policy("x", "allow-b", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - podSelector: {matchLabels: {pod: b}}
                """, "");
        check(Map.of("allow.yaml", allowB),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.equals(NetpolPod.of("x/b")));

        NetpolPod c = NetpolPod.of("x/c");
        NetpolPod b = NetpolPod.of("x/b");
        check(Map.of("allow.yaml", allowB,
                        NetpolCluster.podFile(c), NetpolCluster.podManifest(c, Map.of("pod", "b")),
                        NetpolCluster.podFile(b), NetpolCluster.podManifest(b, Map.of("pod", "b2"))),
                (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.equals(c));
    }

    @Test
    void deletingThePolicyRestoresAccess() throws Exception {
        check(Map.of("deny.yaml", policy("y", "deny-all", "{}", "[Ingress, Egress]", "", "")),
                (from, to, probe) -> !from.in("y") && !to.in("y"));
        check(Map.of(), Reachability.ALL);
    }

    @Test
    void aClusterIpObeysTheIngressPolicyOfItsBackend() throws Exception {
        String service = """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: y}
                spec:
                  clusterIP: %s
                  clusterIPs: [%s]
                  ports:
                  - {name: http, port: 80, targetPort: 81, protocol: TCP}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  namespace: y
                  labels: {kubernetes.io/service-name: web}
                addressType: IPv4
                ports:
                - {name: http, port: 81, protocol: TCP}
                endpoints:
                - addresses: [%s]
                  conditions: {ready: true, serving: true, terminating: false}
                  nodeName: node-1
                """.formatted(VIP, VIP, NetpolPod.of("y/b").ip());
        String allowXa = policy("y", "web-from-x-a", "{matchLabels: {pod: b}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: x}}
                      podSelector: {matchLabels: {pod: a}}
                """, "");
        check(Map.of("service.yaml", service, "allow.yaml", allowXa),
                (from, to, probe) -> !to.equals(NetpolPod.of("y/b")) || from.equals(NetpolPod.of("x/a")));

        for (NetpolPod from : NetpolPod.ALL) {
            if (from.equals(NetpolPod.of("y/b"))) {
                continue; // the backend reaching itself needs a hairpin address, which the agent does not configure
            }
            boolean allowed = from.equals(NetpolPod.of("x/a"));
            String answer = cluster.probe(cluster.pod(from), "tcp", VIP, 80, null, NetpolCluster.PROBE_TIMEOUT);
            assertThat(answer).as("%s through the ClusterIP", from).isEqualTo(allowed ? "y/b" : null);
        }
    }

    @Test
    void aPodCannotSendFromAnAddressThatIsNotItsOwn() throws Exception {
        check(Map.of(), Reachability.ALL);
        NetpolPod a = NetpolPod.of("x/a");
        NetpolPod b = NetpolPod.of("x/b");
        Duration t = NetpolCluster.PROBE_TIMEOUT;

        assertThat(cluster.probe(cluster.pod(a), "tcp", b.ip(), 80, a.ip(), t)).as("from its own address").isEqualTo("x/b");
        assertThat(cluster.probe(cluster.pod(a), "tcp", b.ip(), 80, NetpolCluster.SPOOFED, t)).as("from another").isNull();
        assertThat(cluster.probe(cluster.pod(a), "udp", b.ip(), 81, NetpolCluster.SPOOFED, t)).isNull();
        assertThat(cluster.httpGet("/metrics")).containsPattern("sluice_policy_drops_total\\{reason=\"spoofed\"} [1-9]");
    }

    @Test
    void aRestartedAgentKeepsEnforcingWhileAwayAndRewritesNothing() throws Exception {
        Map<String, String> manifests = Map.of("allow.yaml", policy("x", "allow-y", "{matchLabels: {pod: a}}", "[Ingress]", """
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: y}}
                """, ""));
        Expectation fromY = (from, to, probe) -> !to.equals(NetpolPod.of("x/a")) || from.in("y");
        check(manifests, fromY);
        int revision = cluster.currentRevision();
        PolicyDatapathState before = programmed();

        cluster.restartAgent(() -> assertThat(cluster.compare(Reachability.expected(fromY)))
                .as("enforced while no agent runs").isEmpty());

        assertThat(cluster.currentRevision()).as("no write after the restart").isEqualTo(revision);
        assertThat(programmed()).isEqualTo(before);
        check(manifests, fromY);
    }

    private PolicyDatapathState programmed() {
        try (PolicyMaps maps = PolicyMaps.openPinned(cluster.pins.resolve("maps"))) {
            return maps.read();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A probe from one pod, for the checks outside the matrix. */
    private final class NetworkNamespaceProbe {
        private final NetpolPod from;

        NetworkNamespaceProbe(NetpolPod from) {
            this.from = from;
        }

        String tcp(String ip, int port) {
            return cluster.probe(cluster.pod(from), "tcp", ip, port, null, NetpolCluster.PROBE_TIMEOUT);
        }
    }

    /** A NetworkPolicy; {@code ingress} and {@code egress} are YAML blocks indented under spec (or empty). */
    static String policy(String namespace, String name, String podSelector, String policyTypes, String ingress, String egress) {
        return """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  podSelector: %s
                  policyTypes: %s
                %s%s""".formatted(name, namespace, podSelector, policyTypes, ingress, egress);
    }
}
