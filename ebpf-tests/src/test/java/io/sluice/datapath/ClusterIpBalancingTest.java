package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.DatapathCounter;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.LbScope;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A ClusterIP with four backends, reached with real TCP and UDP traffic from a pod (per-packet path:
 * {@code from_pod}/{@code to_pod}) and from the node (socket path: the client runs in the cgroup): every
 * connection is answered, the answers come from the service address, and the backends share the load within
 * {@link Distribution}'s chi-square bound over its {@link Distribution#SAMPLES} connections (a chance failure about
 * once in 250,000 runs of this class; a backend weighted 1.5:1:1:1 or never chosen is caught).
 */
@KernelTest
class ClusterIpBalancingTest extends SharedServiceNode {
    private static final String VIP = "198.18.100.10";
    private static final int CONNECTIONS = Distribution.SAMPLES;
    private static final List<String> WEB = List.of("web1", "web2", "web3", "web4");
    private static final List<String> DNS = List.of("dns1", "dns2", "dns3", "dns4");

    @BeforeAll
    void fourBackendsBehindOneClusterIp() {
        PyTraffic.server(net.web, "tcp:8081:web1", "tcp:8082:web2", "tcp:8083:web3", "tcp:8084:web4",
                "udp:5301:dns1", "udp:5302:dns2", "udp:5303:dns3", "udp:5304:dns4");
        for (int i = 1; i <= 4; i++) {
            net.backend(i, ServiceNode.WEB_POD, 8080 + i, IpProtocol.TCP, true);
            net.backend(10 + i, ServiceNode.WEB_POD, 5300 + i, IpProtocol.UDP, true);
        }
        net.frontend(ServiceNode.key(VIP, 80, IpProtocol.TCP, LbScope.INTERNAL), 1, 0, 0, List.of(1, 2, 3, 4));
        net.frontend(ServiceNode.key(VIP, 53, IpProtocol.UDP, LbScope.INTERNAL), 2, 0, 0, List.of(11, 12, 13, 14));
    }

    @Test
    void tcpFromAPodIsTranslatedPerPacketAndBalanced() {
        long newFlows = net.count(DatapathCounter.SERVICE_NEW);

        List<String> answers = PyTraffic.client(net.client, Duration.ofSeconds(60), "tcp", VIP, 80, CONNECTIONS);

        assertBalanced("TCP from a pod (per-packet path)", answers, WEB, ServiceNode.CLIENT_POD);
        assertThat(net.count(DatapathCounter.SERVICE_NEW) - newFlows).as("new flows").isEqualTo(CONNECTIONS);
    }

    @Test
    void tcpFromTheNodeIsTranslatedAtConnectAndBalanced() {
        long connects = net.count(DatapathCounter.SOCK_CONNECT_NAT);
        long newFlows = net.count(DatapathCounter.SERVICE_NEW);

        List<String> answers = PyTraffic.client(net.node.inCgroup(net.cgroup), Duration.ofSeconds(60), "tcp", VIP, 80,
                CONNECTIONS);

        assertBalanced("TCP from the node (socket path)", answers, WEB, "198.18.11.1");
        assertThat(net.count(DatapathCounter.SOCK_CONNECT_NAT) - connects).isEqualTo(CONNECTIONS);
        assertThat(net.count(DatapathCounter.SERVICE_NEW) - newFlows).as("no per-packet translation").isZero();
    }

    @Test
    void udpFromAPodIsTranslatedPerPacketAndBalanced() {
        List<String> answers = PyTraffic.client(net.client, Duration.ofSeconds(60), "udp", VIP, 53, CONNECTIONS);

        assertBalanced("UDP from a pod (per-packet path)", answers, DNS, ServiceNode.CLIENT_POD);
    }

    @Test
    void udpFromAPodInTheCgroupIsTranslatedAtConnectAndBalanced() {
        Netns podInCgroup = net.client.inCgroup(net.cgroup);
        long newFlows = net.count(DatapathCounter.SERVICE_NEW);

        List<String> answers = PyTraffic.client(podInCgroup, Duration.ofSeconds(60), "udp", VIP, 53, CONNECTIONS);

        assertBalanced("UDP from a pod in the cgroup (socket path)", answers, DNS, ServiceNode.CLIENT_POD);
        assertThat(net.count(DatapathCounter.SERVICE_NEW) - newFlows).as("no per-packet translation").isZero();
    }

    @Test
    void aPodThatReusesThePortOfAnEndedServiceConnectionToReachTheBackendDirectlyIsAnswered() {
        // Above the ephemeral range (32768-60999): the other tests' connections from this pod cannot hold it (42000
        // was once still held by one of them: EADDRINUSE).
        int port = 61000;
        String viaService = PyTraffic.client(net.client, Duration.ofSeconds(10), "tcpfrom", VIP, 80, port).getFirst();
        assertThat(viaService).as("the service connection from port " + port).startsWith("web");
        String backend = viaService.split(" ")[0];
        int backendPort = 8080 + Integer.parseInt(backend.substring("web".length()));

        // The service connection's reply entry (backend:port -> client:port) is still in conntrack.
        List<String> direct = PyTraffic.client(net.client, Duration.ofSeconds(10), "tcpfrom", ServiceNode.WEB_POD,
                backendPort, port);

        assertThat(direct).containsExactly(backend + " " + ServiceNode.CLIENT_POD);
    }

    /** Every request answered by one of {@code backends}, which saw {@code peer}; counts within the bound. */
    private static void assertBalanced(String what, List<String> answers, List<String> backends, String peer) {
        assertThat(answers).hasSize(CONNECTIONS);
        assertThat(answers).as(what + ": every answer").allSatisfy(answer -> {
            assertThat(backends).contains(answer.split(" ")[0]);
            assertThat(answer).endsWith(" " + peer);
        });
        Map<String, Long> counts = Distribution.byBackend(answers);
        double chiSquare = Distribution.chiSquare(counts, backends);
        System.out.printf("%s: %d connections over 4 backends %s, chi-square %.2f (bound %.2f)%n", what,
                CONNECTIONS, counts, chiSquare, Distribution.CHI_SQUARE_BOUND);
        assertThat(chiSquare).as(what + ": chi-square of " + counts).isLessThan(Distribution.CHI_SQUARE_BOUND);
    }
}
