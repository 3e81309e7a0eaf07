package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import io.sluice.loader.TcDirection;
import io.sluice.loader.TcFilter;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.MapName;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Traffic;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pod programs on a real veth: a TCP connection and a UDP exchange from a pod to a service address reach
 * a listener in another pod (DNAT on the way out, reverse NAT on the way back), and the programs count it.
 */
@KernelTest
class PodServiceTrafficTest {
    private static final String VIP = "198.18.100.10";

    private PodNodeTopology net;
    private BpfObject pod;
    private NetworkNamespace nodeNs;
    private TcFilter fromPod;
    private TcFilter toPod;
    private ServiceMaps services;
    private DatapathCounters counters;

    @BeforeEach
    void attachPodProgramsToTheClientVeth() {
        net = new PodNodeTopology();
        pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
        pod.load();
        nodeNs = NetworkNamespace.named(net.node.name());
        fromPod = pod.program("from_pod").attachTc(nodeNs, PodNodeTopology.CLIENT_VETH, TcDirection.INGRESS);
        toPod = pod.program("to_pod").attachTc(nodeNs, PodNodeTopology.CLIENT_VETH, TcDirection.EGRESS);
        services = ServiceMaps.of(pod);
        counters = DatapathCounters.of(pod);
    }

    @AfterEach
    void detachAndRemove() {
        try (var a = net; var b = pod; var c = nodeNs; var d = fromPod; var e = toPod; var f = services; var g = counters) {
            // closed in reverse order: programs detached before the namespaces go
        }
    }

    @Test
    void tcpToAServiceAddressReachesTheBackendAndTheReplyComesFromTheService() {
        Traffic.listener(net.server, Traffic.Protocol.TCP, 8080, "server", Traffic.Reply.NAME_AND_PEER);
        assertThat(Traffic.tcpRequest(net.client, VIP, 80, Traffic.DEFAULT_TIMEOUT))
                .as("before the service exists").isNotInstanceOf(RequestOutcome.Answered.class);

        programService(IpProtocol.TCP, 80, 8080);

        assertThat(Traffic.tcpRequest(net.client, VIP, 80, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("server " + PodNodeTopology.CLIENT_IP));
        assertThat(counters.read(DatapathCounter.SERVICE_NEW)).isEqualTo(1);
        assertThat(counters.read(DatapathCounter.SERVICE_ESTABLISHED)).as("later packets of the flow").isPositive();
        assertThat(counters.read(DatapathCounter.REVERSE_NAT)).as("replies rewritten").isPositive();
        assertThat(conntrackFlowsTo(8080)).as("forward and reply entries").containsExactlyInAnyOrder(
                DatapathConstants.CT_F_SERVICE, DatapathConstants.CT_F_REPLY);
    }

    @Test
    void udpToAServiceAddressIsAnsweredFromTheServiceAddress() {
        Traffic.udpResponder(net.server, 5353, "dns");
        programService(IpProtocol.UDP, 53, 5353);

        // socat's UDP client is connected: it accepts only a reply whose source is the service address.
        assertThat(Traffic.udpRequest(net.client, VIP, 53, Traffic.DEFAULT_TIMEOUT))
                .isEqualTo(new RequestOutcome.Answered("dns"));
        assertThat(counters.read(DatapathCounter.REVERSE_NAT)).isPositive();
    }

    @Test
    void aServiceWithoutBackendsRefusesAtOnceInsteadOfLeakingToTheServiceAddress() {
        Traffic.tcpListener(net.server, 8080, "server");
        Lb4Key frontend = new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL);
        services.putService(frontend, new Lb4Service(7, 0, 0, 0), List.of(), 0);

        // A RST from the service address: refused, not a timeout.
        assertThat(Traffic.tcpRequest(net.client, VIP, 80, Traffic.DEFAULT_TIMEOUT))
                .isInstanceOf(RequestOutcome.Refused.class);
        assertThat(counters.read(DatapathCounter.REFUSED_NO_BACKEND)).isEqualTo(1);
    }

    private void programService(IpProtocol protocol, int servicePort, int backendPort) {
        services.putBackend(1, new Lb4Backend(Ipv4.parse(PodNodeTopology.SERVER_IP), backendPort, protocol, 0));
        Lb4Key frontend = new Lb4Key(Ipv4.parse(VIP), servicePort, protocol, LbScope.INTERNAL);
        services.putService(frontend, new Lb4Service(7, 1, 0, 0), List.of(1), 0);
    }

    private List<Integer> conntrackFlowsTo(int backendPort) {
        try (TypedMap<Ct4Key, Ct4Entry> ct = new TypedMap<>(pod.map(MapName.CT4_ENTRIES.cName()), Ct4Key.CODEC, Ct4Entry.CODEC)) {
            return ct.entries().entrySet().stream()
                    .filter(e -> e.getKey().destinationPort() == backendPort || e.getKey().sourcePort() == backendPort
                            || e.getValue().natPort() == backendPort)
                    .map(Map.Entry::getValue).map(Ct4Entry::flags).toList();
        }
    }
}
