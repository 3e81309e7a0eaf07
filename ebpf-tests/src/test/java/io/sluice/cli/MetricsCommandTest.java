package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.sluice.agent.http.StatusHttpServer;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import io.sluice.fixtures.TestPacket;
import io.sluice.loader.TestRunResult;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Topology;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice metrics} against the agent's real HTTP server (on loopback, with the agent's metrics registry) and
 * counters the pod programs incremented in pinned maps: the summary in both formats, the fallback to the agent's
 * export of the data path counters, and an agent that cannot be reached.
 */
@KernelTest
class MetricsCommandTest {
    private static final String VIP = "10.96.0.12";

    private Topology topology;
    private PinnedNode node;
    private AgentMetrics metrics;
    private StatusHttpServer server;
    private String address;

    @BeforeEach
    void startTheAgentsEndpoints() {
        topology = new Topology();
        node = new PinnedNode(topology);
        metrics = new AgentMetrics();
        server = StatusHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), metrics.registry(),
                () -> null, () -> "waiting for the first sync of EndpointSlice");
        address = "127.0.0.1:" + server.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        CloseAll.inOrder(server, node, topology);
    }

    private void recordAgentActivity() {
        for (int i = 0; i < 3; i++) {
            metrics.eventReceived(ResourceKind.SERVICE);
        }
        metrics.eventReceived(ResourceKind.ENDPOINT_SLICE);
        metrics.storeObjects(ResourceKind.SERVICE, 2);
        metrics.storeObjects(ResourceKind.ENDPOINT_SLICE, 1);
        metrics.mapEntries("lb4_services").set(6);
        metrics.mapEntries("lb4_backends").set(4);
        metrics.mapOperations("lb4_services", "update").inc(7);
        metrics.mapOperations("lb4_services", "delete").inc(1);
        metrics.mapOperations("lb4_backends", "update").inc(4);
        metrics.mapOperations("lb4_slots", "update").inc(3); // a map the agent reports no size for
        metrics.mapErrors("lb4_backends").inc();
        metrics.objectRefused("Service", "ipv6_not_programmed");
        metrics.objectRefused("Service", "ipv6_not_programmed");
        metrics.objectRefused("manifest", "malformed");
        metrics.queueOverflow("kubernetes");
        metrics.syncCompleted(0.25);
    }

    /** Two packets through from_pod: one to a frontend without backends (refused), one cut short (malformed). */
    private void sendPacketsThroughTheProgram() {
        node.services.putService(new Lb4Key(Ipv4.parse(VIP), 443, IpProtocol.TCP, LbScope.INTERNAL),
                new Lb4Service(5, 0, 0, 0), List.of(), 0);
        byte[] syn = TestPacket.tcpSyn("10.0.1.2", 40000, VIP, 443).toBytes();
        TestRunResult refused = node.pod.program("from_pod").testRun(syn, 1);
        TestRunResult cut = node.pod.program("from_pod").testRun(Arrays.copyOf(syn, 40), 1);
        assertThat(List.of(refused.verdict(), cut.verdict())).as("TC_ACT_REDIRECT, TC_ACT_SHOT").containsExactly(7, 2);
    }

    private String normalised(String output) {
        return output.replace(address, "ADDRESS").replace(node.pinDirArg(), "PIN_DIR");
    }

    @Test
    void summarisesTheAgentAndTheDatapathCounters() {
        recordAgentActivity();
        sendPacketsThroughTheProgram();

        for (String format : List.of("table", "json")) {
            CliRunner.Result result = CliRunner.run("metrics", "--address", address, "--pin-dir", node.pinDirArg(), "-o", format);
            assertThat(result.err()).isEmpty();
            assertThat(result.exitCode()).isZero();
            Golden.assertMatches("metrics." + (format.equals("table") ? "txt" : "json"), normalised(result.out()));
        }
    }

    @Test
    void readsTheAgentsExportWhenTheCountersAreNotPinnedHere() {
        Counter exported = Counter.builder().name("sluice_datapath_packets").help("test export")
                .labelNames("counter").register(metrics.registry());
        exported.labelValues("packets").inc(42);
        exported.labelValues("drop_policy_ingress").inc(5);
        String elsewhere = topology.bpfDirectory("other").toString();

        CliRunner.Result result = CliRunner.run("metrics", "--address", address, "--pin-dir", elsewhere, "-o", "json");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .contains("\"source\" : \"sluice_datapath_packets_total at " + address + "\"")
                .contains("\"packets\" : 42")
                .contains("\"policy_ingress\" : 5")
                .contains("\"service_new\" : 0");
    }

    @Test
    void anAgentThatDoesNotAnswerIsNamedWithItsAddress() throws IOException {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        CliRunner.Result result = CliRunner.run("metrics", "--address", "127.0.0.1:" + free, "--timeout", "1");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: cannot reach the agent at http://127.0.0.1:" + free + "/metrics: ")
                .contains("is the agent running with --metrics-address 127.0.0.1:" + free + "?");
    }
}
