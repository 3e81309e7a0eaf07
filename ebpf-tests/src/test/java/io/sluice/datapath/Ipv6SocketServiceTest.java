package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfLink;
import io.sluice.loader.BpfObject;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Ipv6;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb6Backend;
import io.sluice.maps.Lb6Key;
import io.sluice.maps.LbScope;
import io.sluice.maps.Service6Maps;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The IPv6 socket programs ({@code connect6}, {@code sendmsg6}, {@code recvmsg6}, {@code getpeername6}) on a test
 * cgroup, with real traffic between two dual-stack namespaces: TCP and UDP to an IPv6 service reach the backend,
 * and UDP sockets see the service address as their peer and as the source of replies; a service without backends
 * refuses at once; an IPv6 socket reaches an IPv4 service through its IPv4-mapped address; outside the cgroup
 * nothing is translated.
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ipv6SocketServiceTest {
    private static final String CLIENT_V6 = "2001:2::1";
    private static final String BACKEND_V6 = "2001:2::2";
    private static final String BACKEND_V4 = "198.18.5.2";
    private static final String VIP6 = "2001:2:0:100::10";
    private static final String VIP4 = "198.18.205.10";

    private Topology topology;
    private Netns client;
    private Cgroup cgroup;
    private BpfObject sock;
    private final List<BpfLink> links = new ArrayList<>();
    private Service6Maps services6;
    private ServiceMaps services4;
    private DatapathCounters counters;

    @BeforeAll
    void dualStackClientAndBackendWithTheSocketPrograms() {
        topology = new Topology();
        client = topology.namespace("client");
        Netns server = topology.namespace("server");
        topology.veth(client, "eth0", server, "eth0");
        topology.address(client, "eth0", "198.18.5.1/24");
        topology.address(server, "eth0", BACKEND_V4 + "/24");
        topology.address(client, "eth0", CLIENT_V6 + "/64");
        topology.address(server, "eth0", BACKEND_V6 + "/64");
        cgroup = topology.cgroup("pods");
        sock = BpfObject.open(BpfObjectFile.SOCK.bytes(), BpfObjectFile.SOCK.baseName());
        sock.load();
        for (String program : List.of("sock_connect4", "sock_sendmsg4", "sock_recvmsg4", "sock_getpeername4",
                "sock_connect6", "sock_sendmsg6", "sock_recvmsg6", "sock_getpeername6")) {
            links.add(sock.program(program).attachCgroup(cgroup.path()));
        }
        services6 = Service6Maps.of(sock);
        services4 = ServiceMaps.of(sock);
        counters = DatapathCounters.of(sock);
        PyTraffic.server(server, "tcp6:8080:web", "udp6:5353:dns");

        services6.putBackend(1, new Lb6Backend(Ipv6.parse(BACKEND_V6), 8080, IpProtocol.TCP, 0));
        services6.putBackend(2, new Lb6Backend(Ipv6.parse(BACKEND_V6), 5353, IpProtocol.UDP, 0));
        services6.putService(new Lb6Key(Ipv6.parse(VIP6), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(1, 1, 0, 0),
                List.of(1), 0);
        services6.putService(new Lb6Key(Ipv6.parse(VIP6), 53, IpProtocol.UDP, LbScope.INTERNAL), new Lb4Service(2, 1, 0, 0),
                List.of(2), 0);
        services6.putService(new Lb6Key(Ipv6.parse(VIP6), 81, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(3, 0, 0, 0),
                List.of(), 0);
        int[] maglevTable = new int[251];
        Arrays.fill(maglevTable, 1);
        services6.putMaglevService(new Lb6Key(Ipv6.parse(VIP6), 82, IpProtocol.TCP, LbScope.INTERNAL),
                new Lb4Service(5, 1, DatapathConstants.LB_F_MAGLEV, 0), maglevTable, 0);
        services4.putBackend(4, new Lb4Backend(Ipv4.parse(BACKEND_V4), 8080, IpProtocol.TCP, 0));
        services4.putService(new Lb4Key(Ipv4.parse(VIP4), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(4, 1, 0, 0),
                List.of(4), 0);
    }

    @AfterAll
    void detachAndRemove() {
        try (var t = topology; var s = sock; var m6 = services6; var m4 = services4; var c = counters) {
            links.forEach(BpfLink::close);
        }
    }

    @Test
    void tcpToAnIpv6ServiceReachesTheBackend() {
        List<String> answer = PyTraffic.client(client.inCgroup(cgroup), Duration.ofSeconds(10), "peer", VIP6, 80);

        // Translated at connect(): a TCP socket is connected to the backend itself.
        assertThat(answer).containsExactly(BACKEND_V6 + " 8080 web " + CLIENT_V6);
    }

    @Test
    void aConnectedUdpSocketSeesTheServiceAsItsPeerAndAnUnconnectedOneGetsRepliesFromIt() {
        assertThat(PyTraffic.client(client.inCgroup(cgroup), Duration.ofSeconds(10), "udppeer", VIP6, 53))
                .containsExactly(VIP6 + " 53 dns " + CLIENT_V6);

        List<String> answers = PyTraffic.client(client.inCgroup(cgroup), Duration.ofSeconds(10), "udpsockets", VIP6, 53, 2, 3);

        assertThat(answers).hasSize(6).allSatisfy(line -> assertThat(line).endsWith("dns " + CLIENT_V6 + " from " + VIP6 + ":53"));
    }

    @Test
    void anIpv6MaglevServiceTakesItsBackendFromItsTable() {
        // Service 5 has no slots at all: only its table in lb_maglev names backend 1 (of lb6_backends).
        assertThat(PyTraffic.client(client.inCgroup(cgroup), Duration.ofSeconds(10), "peer", VIP6, 82))
                .containsExactly(BACKEND_V6 + " 8080 web " + CLIENT_V6);
    }

    @Test
    void anIpv6ServiceWithoutBackendsRefusesAtOnce() {
        long refused = counters.read(DatapathCounter.SOCK_REFUSED);

        assertThat(PyTraffic.client(client.inCgroup(cgroup), Duration.ofSeconds(10), "tcp", VIP6, 81, 1))
                .containsExactly("ERR ECONNREFUSED");
        assertThat(counters.read(DatapathCounter.SOCK_REFUSED) - refused).isEqualTo(1);
    }

    @Test
    void anIpv6SocketReachesAnIpv4ServiceThroughItsMappedAddress() {
        List<String> answer = PyTraffic.client(client.inCgroup(cgroup), Duration.ofSeconds(10), "peer", "::ffff:" + VIP4, 80);

        assertThat(answer).containsExactly("::ffff:" + BACKEND_V4 + " 8080 web ::ffff:198.18.5.1");
    }

    @Test
    void outsideTheCgroupNothingIsTranslated() {
        assertThat(PyTraffic.client(client, Duration.ofSeconds(10), "tcp", VIP6, 80, 1).getFirst()).startsWith("ERR");
    }
}
