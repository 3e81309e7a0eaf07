package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfLink;
import io.sluice.loader.BpfObject;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Topology;
import io.sluice.testnet.Traffic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The socket programs on a test cgroup: a process in the cgroup that connects to a service address reaches a
 * backend in another namespace; the same command outside the cgroup is not translated. The service address
 * is routed nowhere, so only the translation can make it work.
 */
@KernelTest
class SocketServiceTest {
    private static final String VIP = "198.18.200.10";
    private static final String BACKEND_IP = "198.18.3.2";

    private Topology topology;
    private Netns client;
    private Netns server;
    private Cgroup cgroup;
    private BpfObject sock;
    private final List<BpfLink> links = new ArrayList<>();
    private ServiceMaps services;
    private DatapathCounters counters;

    @BeforeEach
    void attachSocketProgramsToATestCgroup() {
        topology = new Topology();
        client = topology.namespace("client");
        server = topology.namespace("server");
        topology.veth(client, "eth0", server, "eth0");
        topology.address(client, "eth0", "198.18.3.1/24");
        topology.address(server, "eth0", BACKEND_IP + "/24");
        cgroup = topology.cgroup("pods");
        sock = BpfObject.open(BpfObjectFile.SOCK.bytes(), BpfObjectFile.SOCK.baseName());
        sock.load();
        for (String program : List.of("sock_connect4", "sock_sendmsg4", "sock_recvmsg4", "sock_getpeername4")) {
            links.add(sock.program(program).attachCgroup(cgroup.path()));
        }
        services = ServiceMaps.of(sock);
        counters = DatapathCounters.of(sock);
    }

    @AfterEach
    void detachAndRemove() {
        try (var t = topology; var s = sock; var m = services; var c = counters) {
            links.forEach(BpfLink::close);
        }
    }

    @Test
    void connectInTheCgroupIsSentToTheBackendAndOutsideItIsNot() {
        Traffic.tcpListener(server, 8080, "backend");
        programService(IpProtocol.TCP, 80, 8080);

        assertThat(Traffic.tcpRequest(client.inCgroup(cgroup), VIP, 80, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("backend"));
        assertThat(Traffic.tcpRequest(client, VIP, 80, Duration.ofSeconds(1)))
                .as("the same command outside the cgroup").isNotInstanceOf(RequestOutcome.Answered.class);
        assertThat(counters.read(DatapathCounter.SOCK_CONNECT_NAT)).isEqualTo(1);
    }

    @Test
    void udpInTheCgroupIsAnsweredAsIfByTheServiceAddress() {
        Traffic.udpResponder(server, 5353, "dns");
        programService(IpProtocol.UDP, 53, 5353);

        assertThat(Traffic.udpRequest(client.inCgroup(cgroup), VIP, 53, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("dns"));
    }

    @Test
    void aServiceWithoutEndpointsRefusesTheConnectionAtOnce() {
        services.putService(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL),
                new Lb4Service(9, 0, 0, 0), List.of(), 0);

        assertThat(Traffic.tcpRequest(client.inCgroup(cgroup), VIP, 80, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
        assertThat(counters.read(DatapathCounter.SOCK_REFUSED)).isEqualTo(1);
    }

    private void programService(IpProtocol protocol, int servicePort, int backendPort) {
        services.putBackend(1, new Lb4Backend(Ipv4.parse(BACKEND_IP), backendPort, protocol, 0));
        services.putService(new Lb4Key(Ipv4.parse(VIP), servicePort, protocol, LbScope.INTERNAL),
                new Lb4Service(9, 1, 0, 0), List.of(1), 0);
    }
}
