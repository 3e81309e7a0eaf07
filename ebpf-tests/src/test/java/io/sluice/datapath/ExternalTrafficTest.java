package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.LbScope;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Traffic;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real traffic from outside the node (a client on the external interface's LAN) to NodePort and external IP
 * frontends, with {@code externalTrafficPolicy: Cluster} (a backend on another node answers; it sees the node's
 * address) and {@code Local} (a backend on this node answers; it sees the client's address); frontends without
 * backends refuse at once, from outside and from a pod; a pod reaching itself through a service is answered.
 * Each backend answers with its name and the peer address it saw.
 */
@KernelTest
class ExternalTrafficTest extends SharedServiceNode {
    private static final String EXTERNAL_IP = "198.18.150.10";
    private static final String VIP = "198.18.100.20";
    private static final int CLUSTER = DatapathConstants.LB_F_SNAT_REMOTE;
    private static final int LOCAL = DatapathConstants.LB_F_LOCAL_ONLY;

    @BeforeAll
    void backendsOnThisNodeAndOnTheRemoteNode() {
        PyTraffic.server(net.remotePod, "tcp:8080:rpod", "udp:5353:rpod", "sink:9001:rpod", "source:9002:rpod");
        PyTraffic.server(net.web, "tcp:8081:web1", "udp:5301:dns1", "source:9003:web1");
        net.backend(1, ServiceNode.REMOTE_POD, 8080, IpProtocol.TCP, false);
        net.backend(2, ServiceNode.REMOTE_POD, 5353, IpProtocol.UDP, false);
        net.backend(3, ServiceNode.WEB_POD, 8081, IpProtocol.TCP, true);
        net.backend(4, ServiceNode.WEB_POD, 5301, IpProtocol.UDP, true);
        net.backend(5, ServiceNode.REMOTE_POD, 9001, IpProtocol.TCP, false);
        net.backend(6, ServiceNode.REMOTE_POD, 9002, IpProtocol.TCP, false);
        net.backend(7, ServiceNode.WEB_POD, 9003, IpProtocol.TCP, true);
    }

    /** SYNs the outside client had to send again (TcpExt TCPSynRetrans of its namespace). */
    private long synRetransmits() {
        List<String> lines = net.outside.exec("cat", "/proc/net/netstat").orThrow().stdout().lines()
                .filter(line -> line.startsWith("TcpExt:")).toList();
        List<String> names = List.of(lines.get(0).split(" "));
        return Long.parseLong(lines.get(1).split(" ")[names.indexOf("TCPSynRetrans")]);
    }

    @Test
    void nodePortWithClusterPolicyReachesARemoteBackendThatSeesTheNodeAddress() {
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30080, IpProtocol.TCP, LbScope.EXTERNAL), 10, CLUSTER, 0, List.of(1));
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30053, IpProtocol.UDP, LbScope.EXTERNAL), 11, CLUSTER, 0, List.of(2));
        long snat = net.count(DatapathCounter.SNAT);
        long synRetransmits = synRetransmits();

        assertThat(Traffic.tcpRequest(net.outside, ServiceNode.NODE, 30080, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("rpod " + ServiceNode.NODE));
        assertThat(synRetransmits()).as("the first SYN got through").isEqualTo(synRetransmits);
        // socat's UDP client is connected: it takes only a reply that comes from the node port.
        assertThat(Traffic.udpRequest(net.outside, ServiceNode.NODE, 30053, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("rpod " + ServiceNode.NODE));
        assertThat(net.count(DatapathCounter.SNAT) - snat).isEqualTo(2);
    }

    @Test
    void aMegabyteEachWayPassesTheNodePortPathsThatForwardByFib() {
        // Large segments (TSO from the sender, nothing segments them on veths) where the programs forward by FIB:
        // source-NATed to a remote backend and back, and a local backend's replies.
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30085, IpProtocol.TCP, LbScope.EXTERNAL), 24, CLUSTER, 0, List.of(5));
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30086, IpProtocol.TCP, LbScope.EXTERNAL), 25, CLUSTER, 0, List.of(6));
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30087, IpProtocol.TCP, LbScope.EXTERNAL), 26, LOCAL, 0, List.of(7));

        assertThat(PyTraffic.client(net.outside, Duration.ofSeconds(30), "upload", ServiceNode.NODE, 30085, 1_000_000))
                .containsExactly("rpod 1000000");
        assertThat(PyTraffic.client(net.outside, Duration.ofSeconds(30), "download", ServiceNode.NODE, 30086))
                .containsExactly("1000000");
        assertThat(PyTraffic.client(net.outside, Duration.ofSeconds(30), "download", ServiceNode.NODE, 30087))
                .containsExactly("1000000");
    }

    @Test
    void nodePortWithLocalPolicyReachesALocalBackendThatSeesTheClientAddress() {
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30081, IpProtocol.TCP, LbScope.EXTERNAL), 12, LOCAL, 0, List.of(3));
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30054, IpProtocol.UDP, LbScope.EXTERNAL), 13, LOCAL, 0, List.of(4));

        assertThat(Traffic.tcpRequest(net.outside, ServiceNode.NODE, 30081, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("web1 " + ServiceNode.OUTSIDE));
        assertThat(Traffic.udpRequest(net.outside, ServiceNode.NODE, 30054, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("dns1 " + ServiceNode.OUTSIDE));
    }

    @Test
    void externalIpWithClusterPolicyReachesARemoteBackendAsTheNodeAndWithLocalPolicyKeepsTheClient() {
        net.frontend(ServiceNode.key(EXTERNAL_IP, 80, IpProtocol.TCP, LbScope.EXTERNAL), 14, CLUSTER, 0, List.of(1));
        net.frontend(ServiceNode.key(EXTERNAL_IP, 81, IpProtocol.TCP, LbScope.EXTERNAL), 15, LOCAL, 0, List.of(3));

        long synRetransmits = synRetransmits();
        assertThat(Traffic.tcpRequest(net.outside, EXTERNAL_IP, 80, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("rpod " + ServiceNode.NODE));
        assertThat(synRetransmits()).as("the first SYN got through").isEqualTo(synRetransmits);
        assertThat(Traffic.tcpRequest(net.outside, EXTERNAL_IP, 81, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("web1 " + ServiceNode.OUTSIDE));
    }

    @Test
    void clusterPolicyWithABackendOnThisNodeKeepsTheClientAddress() {
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30082, IpProtocol.TCP, LbScope.EXTERNAL), 16, CLUSTER, 0, List.of(3));

        assertThat(Traffic.tcpRequest(net.outside, ServiceNode.NODE, 30082, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("web1 " + ServiceNode.OUTSIDE));
    }

    @Test
    void theNodeItselfReachesANodePortThroughTheSocketPath() {
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30083, IpProtocol.TCP, LbScope.EXTERNAL), 17, LOCAL, 0, List.of(3));

        assertThat(Traffic.tcpRequest(net.node.inCgroup(net.cgroup), ServiceNode.NODE, 30083, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("web1 198.18.11.1"));
    }

    @Test
    void frontendsWithoutBackendsRefuseAtOnceFromOutsideAndFromAPod() {
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30090, IpProtocol.TCP, LbScope.EXTERNAL), 18, LOCAL, 0, List.of());
        net.frontend(ServiceNode.key(ServiceNode.NODE, 30091, IpProtocol.UDP, LbScope.EXTERNAL), 19, LOCAL, 0, List.of());
        net.frontend(ServiceNode.key(VIP, 90, IpProtocol.TCP, LbScope.INTERNAL), 20, 0, 0, List.of());
        net.frontend(ServiceNode.key(VIP, 91, IpProtocol.UDP, LbScope.INTERNAL), 21, 0, 0, List.of());
        long refused = net.count(DatapathCounter.REFUSED_NO_BACKEND);

        // Refused is a RST or an ICMP port unreachable; a drop would be a timeout.
        assertThat(Traffic.tcpRequest(net.outside, ServiceNode.NODE, 30090, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
        assertThat(Traffic.udpRequest(net.outside, ServiceNode.NODE, 30091, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
        assertThat(Traffic.tcpRequest(net.client, VIP, 90, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
        assertThat(Traffic.udpRequest(net.client, VIP, 91, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
        assertThat(net.count(DatapathCounter.REFUSED_NO_BACKEND) - refused).isGreaterThanOrEqualTo(4);
    }

    @Test
    void aPodReachingItselfThroughAServiceIsAnsweredFromTheHairpinAddress() {
        net.frontend(ServiceNode.key(VIP, 80, IpProtocol.TCP, LbScope.INTERNAL), 22, 0, 0, List.of(3));
        net.frontend(ServiceNode.key(VIP, 53, IpProtocol.UDP, LbScope.INTERNAL), 23, 0, 0, List.of(4));

        assertThat(Traffic.tcpRequest(net.web, VIP, 80, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("web1 " + ServiceNode.HAIRPIN));
        assertThat(Traffic.udpRequest(net.web, VIP, 53, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("dns1 " + ServiceNode.HAIRPIN));
    }
}
