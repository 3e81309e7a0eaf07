package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.fixtures.TestPacket;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.loader.TestRunResult;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4AffinityKey;
import io.sluice.maps.Lb4AffinityValue;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.Node4Config;
import io.sluice.maps.NodeConfigMap;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.KernelTest;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-packet programs on crafted packets through {@code BPF_PROG_TEST_RUN}, for what external traffic,
 * refusals, hairpin and affinity add: verdicts and the exact output (addresses, ports, flags, valid checksums).
 * A test run has no ingress interface, so the FIB lookup that forwards some translated packets finds nothing
 * and the verdict is "pass" where a real interface would redirect.
 */
@KernelTest
class PerPacketServiceTestRunTest {
    private static final int TC_ACT_OK = 0;
    private static final int TC_ACT_SHOT = 2;
    private static final int TC_ACT_REDIRECT = 7;

    private static final String CLIENT = "10.9.0.5";
    private static final String OTHER_CLIENT = "10.9.0.6";
    private static final String NODE = "10.0.0.1";
    private static final String HAIRPIN = "169.254.42.1";
    private static final String LOCAL_BACKEND = "10.0.2.7";
    private static final String REMOTE_BACKEND = "10.1.3.9";
    private static final String POD = "10.0.1.5";
    private static final String VIP = "10.96.0.10";

    private static final int LOCAL_NODE_PORT = 30080;
    private static final int CLUSTER_NODE_PORT = 30081;
    private static final int MIXED_NODE_PORT = 30082;
    private static final int EMPTY_NODE_PORT = 30090;

    private BpfObject pod;
    private ServiceMaps services;
    private ConntrackMaps flows;
    private NodeConfigMap config;
    private DatapathCounters counters;
    private BpfProgram fromPod;
    private BpfProgram toPod;
    private BpfProgram fromNetdev;
    private BpfProgram toNetdev;

    @BeforeEach
    void loadWithExternalFrontends() {
        pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
        pod.load();
        services = ServiceMaps.of(pod);
        flows = ConntrackMaps.of(pod);
        config = NodeConfigMap.of(pod);
        counters = DatapathCounters.of(pod);
        fromPod = pod.program("from_pod");
        toPod = pod.program("to_pod");
        fromNetdev = pod.program("from_netdev");
        toNetdev = pod.program("to_netdev");
        config.put(new Node4Config(Ipv4.parse(NODE), Ipv4.parse(HAIRPIN)));
        for (IpProtocol protocol : IpProtocol.values()) {
            int p = protocol.number();
            services.putBackend(100 + p, new Lb4Backend(Ipv4.parse(LOCAL_BACKEND), 8080, protocol,
                    DatapathConstants.LB_BACKEND_F_LOCAL));
            services.putBackend(200 + p, new Lb4Backend(Ipv4.parse(REMOTE_BACKEND), 8080, protocol, 0));
            services.putService(external(LOCAL_NODE_PORT, protocol),
                    new Lb4Service(1000 + p, 1, DatapathConstants.LB_F_LOCAL_ONLY, 0), List.of(100 + p), 0);
            services.putService(external(CLUSTER_NODE_PORT, protocol),
                    new Lb4Service(2000 + p, 1, DatapathConstants.LB_F_SNAT_REMOTE, 0), List.of(200 + p), 0);
            services.putService(external(MIXED_NODE_PORT, protocol),
                    new Lb4Service(3000 + p, 1, DatapathConstants.LB_F_SNAT_REMOTE, 0), List.of(100 + p), 0);
            services.putService(external(EMPTY_NODE_PORT, protocol), new Lb4Service(4000 + p, 0, 0, 0), List.of(), 0);
        }
    }

    @AfterEach
    void unload() {
        try (var p = pod; var s = services; var f = flows; var c = config; var n = counters) {
            // closed in reverse order
        }
    }

    private static Lb4Key external(int port, IpProtocol protocol) {
        return new Lb4Key(Ipv4.parse(NODE), port, protocol, LbScope.EXTERNAL);
    }

    @Test
    void externalTrafficToALocalBackendKeepsTheClientAddressAndTheReplyLeavesTheBackendAsTheFrontend() {
        TestRunResult in = fromNetdev.testRun(TestPacket.tcpSyn(CLIENT, 40000, NODE, LOCAL_NODE_PORT).toBytes(), 1);

        assertThat(in.verdict()).isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(in.packetOut())).isEqualTo(TestPacket.tcpSyn(CLIENT, 40000, LOCAL_BACKEND, 8080));

        // The backend pod's reply, where it leaves the pod: the source becomes the node port at once.
        TestRunResult out = fromPod.testRun(TestPacket.tcpSyn(LOCAL_BACKEND, 8080, CLIENT, 40000).toBytes(), 1);
        assertThat(out.verdict()).as("no route in a test run: to the stack").isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(out.packetOut())).isEqualTo(TestPacket.tcpSyn(NODE, LOCAL_NODE_PORT, CLIENT, 40000));
        Ct4Entry reply = flows.conntrack().get(new Ct4Key(Ipv4.parse(LOCAL_BACKEND), Ipv4.parse(CLIENT), 8080, 40000,
                IpProtocol.TCP)).orElseThrow();
        assertThat(reply.has(DatapathConstants.CT_F_REPLY | DatapathConstants.CT_F_EXTERNAL)).isTrue();
        assertThat(reply.has(DatapathConstants.CT_F_SNAT)).isFalse();
    }

    @Test
    void aReplyLeavingThroughTheExternalInterfaceIsTranslatedThere() {
        // A backend whose reply is not seen by from_pod (host network) is translated by to_netdev.
        fromNetdev.testRun(TestPacket.udp(CLIENT, 5000, NODE, LOCAL_NODE_PORT, "q".getBytes()).toBytes(), 1);

        TestRunResult out = toNetdev.testRun(TestPacket.udp(LOCAL_BACKEND, 8080, CLIENT, 5000, "a".getBytes()).toBytes(), 1);

        assertThat(out.verdict()).isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(out.packetOut()))
                .isEqualTo(TestPacket.udp(NODE, LOCAL_NODE_PORT, CLIENT, 5000, "a".getBytes()));
    }

    @Test
    void clusterPolicyToARemoteBackendSourceNatsToTheNodeAndTheReplyGoesBackToTheClient() {
        long snat = counters.read(DatapathCounter.SNAT);
        TestRunResult in = fromNetdev.testRun(TestPacket.tcpSyn(CLIENT, 40001, NODE, CLUSTER_NODE_PORT).toBytes(), 1);

        assertThat(in.verdict()).isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(in.packetOut()))
                .as("the client's port is kept when free").isEqualTo(TestPacket.tcpSyn(NODE, 40001, REMOTE_BACKEND, 8080));
        assertThat(counters.read(DatapathCounter.SNAT) - snat).isEqualTo(1);
        Ct4Entry forward = flows.conntrack().get(new Ct4Key(Ipv4.parse(CLIENT), Ipv4.parse(NODE), 40001,
                CLUSTER_NODE_PORT, IpProtocol.TCP)).orElseThrow();
        assertThat(forward).isEqualTo(new Ct4Entry(Ipv4.parse(REMOTE_BACKEND), 8080, DatapathConstants.CT_F_SERVICE
                | DatapathConstants.CT_F_SNAT | DatapathConstants.CT_F_EXTERNAL, 200 + 6, 2006, Ipv4.parse(NODE), 40001));

        TestRunResult back = fromNetdev.testRun(TestPacket.tcpSyn(REMOTE_BACKEND, 8080, NODE, 40001).toBytes(), 1);
        assertThat(back.verdict()).isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(back.packetOut())).isEqualTo(TestPacket.tcpSyn(NODE, CLUSTER_NODE_PORT, CLIENT, 40001));

        byte[] ack = Frames.tcp(CLIENT, 40001, NODE, CLUSTER_NODE_PORT, Frames.TCP_ACK, 1001, 5001, "GET".getBytes());
        Frames.Parsed next = Frames.Parsed.of(fromNetdev.testRun(ack, 1).packetOut());
        assertThat(List.of(next.sourceText(), next.sourcePort(), next.destinationText(), next.destinationPort()))
                .as("a later packet of the flow").containsExactly(NODE, 40001, REMOTE_BACKEND, 8080);
    }

    @Test
    void aSourcePortAnotherFlowHoldsIsReplacedByAFreeOneAndEachReplyFindsItsClient() {
        fromNetdev.testRun(TestPacket.udp(CLIENT, 40002, NODE, CLUSTER_NODE_PORT, "1".getBytes()).toBytes(), 1);
        TestRunResult second = fromNetdev.testRun(
                TestPacket.udp(OTHER_CLIENT, 40002, NODE, CLUSTER_NODE_PORT, "2".getBytes()).toBytes(), 1);

        TestPacket translated = TestPacket.parseVerified(second.packetOut());
        assertThat(translated.source()).isEqualTo(TestPacket.ip(NODE));
        assertThat(translated.sourcePort()).isBetween(DatapathConstants.SNAT_PORT_MIN, DatapathConstants.SNAT_PORT_MAX);
        int port = translated.sourcePort();
        TestRunResult toFirst = fromNetdev.testRun(TestPacket.udp(REMOTE_BACKEND, 8080, NODE, 40002, "a".getBytes()).toBytes(), 1);
        TestRunResult toSecond = fromNetdev.testRun(TestPacket.udp(REMOTE_BACKEND, 8080, NODE, port, "b".getBytes()).toBytes(), 1);
        assertThat(TestPacket.parseVerified(toFirst.packetOut()))
                .isEqualTo(TestPacket.udp(NODE, CLUSTER_NODE_PORT, CLIENT, 40002, "a".getBytes()));
        assertThat(TestPacket.parseVerified(toSecond.packetOut()))
                .isEqualTo(TestPacket.udp(NODE, CLUSTER_NODE_PORT, OTHER_CLIENT, 40002, "b".getBytes()));
    }

    @Test
    void clusterPolicyToABackendOnThisNodeKeepsTheClientAddress() {
        TestRunResult in = fromNetdev.testRun(TestPacket.tcpSyn(CLIENT, 40003, NODE, MIXED_NODE_PORT).toBytes(), 1);

        assertThat(TestPacket.parseVerified(in.packetOut())).isEqualTo(TestPacket.tcpSyn(CLIENT, 40003, LOCAL_BACKEND, 8080));
    }

    @Test
    void withoutANodeAddressAFlowThatNeedsSnatIsDroppedAndCounted() {
        config.put(new Node4Config(new Ipv4(0), Ipv4.parse(HAIRPIN)));

        TestRunResult in = fromNetdev.testRun(TestPacket.tcpSyn(CLIENT, 40004, NODE, CLUSTER_NODE_PORT).toBytes(), 1);

        assertThat(in.verdict()).isEqualTo(TC_ACT_SHOT);
        assertThat(counters.read(DatapathCounter.DROP_SNAT)).isEqualTo(1);
    }

    @Test
    void aSynToAFrontendWithoutBackendsIsAnsweredWithAResetBackOutOfItsInterface() {
        for (BpfProgram program : List.of(fromNetdev, fromPod)) {
            byte[] syn = Frames.tcp(CLIENT, 40005, NODE, EMPTY_NODE_PORT, Frames.TCP_SYN, 7000, 0, new byte[0]);

            TestRunResult out = program.testRun(syn, 1);

            assertThat(out.verdict()).as(program.name()).isEqualTo(TC_ACT_REDIRECT);
            Frames.Parsed rst = Frames.Parsed.of(out.packetOut());
            assertThat(rst.l4()).hasSize(20);
            assertThat(List.of(rst.sourceText(), rst.sourcePort(), rst.destinationText(), rst.destinationPort()))
                    .containsExactly(NODE, EMPTY_NODE_PORT, CLIENT, 40005);
            assertThat(rst.tcpFlags()).isEqualTo(Frames.TCP_RST | Frames.TCP_ACK);
            assertThat(rst.seq()).isZero();
            assertThat(rst.ack()).as("acknowledges the SYN").isEqualTo(7001);
            assertThat(rst.dstMac()).as("back to the sender's MAC").isEqualTo(Frames.CLIENT_MAC);
            assertThat(rst.srcMac()).isEqualTo(Frames.NODE_MAC);
        }
        assertThat(counters.read(DatapathCounter.REFUSED_NO_BACKEND)).isEqualTo(2);
    }

    @Test
    void aSegmentWithAnAckIsResetAtThatSequenceNumberAndAResetIsNeverAnswered() {
        byte[] data = Frames.tcp(CLIENT, 40006, NODE, EMPTY_NODE_PORT, Frames.TCP_ACK | Frames.TCP_PSH, 7000, 90000,
                "hello".getBytes());
        Frames.Parsed rst = Frames.Parsed.of(fromNetdev.testRun(data, 1).packetOut());
        assertThat(rst.tcpFlags()).isEqualTo(Frames.TCP_RST);
        assertThat(rst.seq()).isEqualTo(90000);

        byte[] reset = Frames.tcp(CLIENT, 40006, NODE, EMPTY_NODE_PORT, Frames.TCP_RST, 7000, 0, new byte[0]);
        assertThat(fromNetdev.testRun(reset, 1).verdict()).isEqualTo(TC_ACT_SHOT);
        assertThat(counters.read(DatapathCounter.DROP_NO_BACKEND)).isEqualTo(1);
    }

    @Test
    void aDatagramToAFrontendWithoutBackendsIsAnsweredWithPortUnreachableQuotingIt() {
        byte[] datagram = TestPacket.udp(CLIENT, 5001, NODE, EMPTY_NODE_PORT, "a question of some length".getBytes())
                .toBytes();

        TestRunResult out = fromNetdev.testRun(datagram, 1);

        assertThat(out.verdict()).isEqualTo(TC_ACT_REDIRECT);
        Frames.Parsed icmp = Frames.Parsed.of(out.packetOut());
        assertThat(icmp.protocol()).isEqualTo(Frames.ICMP);
        assertThat(List.of(icmp.sourceText(), icmp.destinationText())).containsExactly(NODE, CLIENT);
        assertThat(icmp.l4()[0]).as("type: destination unreachable").isEqualTo((byte) 3);
        assertThat(icmp.l4()[1]).as("code: port unreachable").isEqualTo((byte) 3);
        assertThat(Arrays.copyOfRange(icmp.l4(), 8, icmp.l4().length)).as("quotes the IPv4 header and 8 bytes")
                .isEqualTo(Arrays.copyOfRange(datagram, 14, 14 + 28));
        assertThat(icmp.dstMac()).isEqualTo(Frames.CLIENT_MAC);
    }

    @Test
    void aDatagramWithIpOptionsToAFrontendWithoutBackendsIsDroppedAndCounted() {
        byte[] datagram = Frames.udpWithOptions(CLIENT, 5002, NODE, EMPTY_NODE_PORT, "q".getBytes(), 8);

        assertThat(fromNetdev.testRun(datagram, 1).verdict()).isEqualTo(TC_ACT_SHOT);
        assertThat(counters.read(DatapathCounter.DROP_NO_BACKEND)).isEqualTo(1);
        assertThat(counters.read(DatapathCounter.REFUSED_NO_BACKEND)).isZero();
    }

    @Test
    void aPodReachingItselfThroughAServiceIsSourceNatedToTheHairpinAddressAndSentBack() {
        services.putBackend(50, new Lb4Backend(Ipv4.parse(POD), 8080, IpProtocol.TCP, DatapathConstants.LB_BACKEND_F_LOCAL));
        services.putService(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(50, 1, 0, 0),
                List.of(50), 0);

        TestRunResult out = fromPod.testRun(TestPacket.tcpSyn(POD, 40010, VIP, 80).toBytes(), 1);

        assertThat(out.verdict()).isEqualTo(TC_ACT_REDIRECT);
        Frames.Parsed hairpin = Frames.Parsed.of(out.packetOut());
        assertThat(List.of(hairpin.sourceText(), hairpin.sourcePort(), hairpin.destinationText(), hairpin.destinationPort()))
                .containsExactly(HAIRPIN, 40010, POD, 8080);
        assertThat(hairpin.dstMac()).isEqualTo(Frames.CLIENT_MAC);

        TestRunResult reply = fromPod.testRun(TestPacket.tcpSyn(POD, 8080, HAIRPIN, 40010).toBytes(), 1);
        assertThat(reply.verdict()).isEqualTo(TC_ACT_REDIRECT);
        assertThat(TestPacket.parseVerified(reply.packetOut())).isEqualTo(TestPacket.tcpSyn(VIP, 80, POD, 40010));
    }

    @Test
    void affinityHoldsWhileFreshAndPicksAgainWhenExpiredOrItsBackendIsGone() {
        services.putBackend(61, new Lb4Backend(Ipv4.parse("10.0.6.1"), 8080, IpProtocol.TCP, 0));
        services.putBackend(62, new Lb4Backend(Ipv4.parse("10.0.6.2"), 8080, IpProtocol.TCP, 0));
        Lb4Key frontend = new Lb4Key(Ipv4.parse(VIP), 81, IpProtocol.TCP, LbScope.INTERNAL);
        services.putService(frontend, new Lb4Service(60, 1, DatapathConstants.LB_F_AFFINITY, 5), List.of(62), 0);
        Lb4AffinityKey client = Lb4AffinityKey.ofAddress(Ipv4.parse(POD), 60);
        long now = System.nanoTime();

        flows.affinity().put(client, new Lb4AffinityValue(now, 61));
        assertThat(backendOfNewFlow(41001)).as("fresh entry").isEqualTo("10.0.6.1");
        assertThat(flows.affinity().get(client).orElseThrow().lastUsedNanos()).as("refreshed").isGreaterThan(now);

        flows.affinity().put(client, new Lb4AffinityValue(now - TimeUnit.SECONDS.toNanos(6), 61));
        assertThat(backendOfNewFlow(41002)).as("older than the 5 s timeout").isEqualTo("10.0.6.2");
        assertThat(flows.affinity().get(client).orElseThrow().backendId()).as("the new choice is remembered").isEqualTo(62);

        flows.affinity().put(client, new Lb4AffinityValue(System.nanoTime(), 99));
        assertThat(backendOfNewFlow(41003)).as("backend 99 does not exist").isEqualTo("10.0.6.2");
        assertThat(backendOfNewFlow(41004)).isEqualTo("10.0.6.2");
        assertThat(counters.read(DatapathCounter.AFFINITY_HIT)).isEqualTo(2);
    }

    private String backendOfNewFlow(int sourcePort) {
        TestRunResult out = fromPod.testRun(TestPacket.tcpSyn(POD, sourcePort, VIP, 81).toBytes(), 1);
        return TestPacket.ipText(TestPacket.parseVerified(out.packetOut()).destination());
    }

    @Test
    void aDirectFlowOnTheReversedReplyTupleOfAnEarlierServiceFlowIsNotRewritten() {
        services.putService(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(80, 1, 0, 0),
                List.of(106), 0);
        services.putService(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.UDP, LbScope.INTERNAL), new Lb4Service(81, 1, 0, 0),
                List.of(117), 0);
        fromPod.testRun(TestPacket.tcpSyn(POD, 41000, VIP, 80).toBytes(), 1);
        fromPod.testRun(TestPacket.udp(POD, 41000, VIP, 80, "q".getBytes()).toBytes(), 1);
        byte[] synAck = Frames.tcp(LOCAL_BACKEND, 8080, POD, 41000, Frames.TCP_SYN | Frames.TCP_ACK, 5000, 1001, new byte[0]);
        byte[] answer = TestPacket.udp(LOCAL_BACKEND, 8080, POD, 41000, "a".getBytes()).toBytes();

        // A segment in the middle of a flow proves nothing: the entry stays.
        fromPod.testRun(Frames.tcp(POD, 41000, LOCAL_BACKEND, 8080, Frames.TCP_ACK, 1001, 5001, new byte[0]), 1);
        assertThat(toPod.testRun(synAck, 1).packetOut()).as("still the service flow's reply").isNotEqualTo(synAck);

        // The client reuses the port for a direct connection and a direct datagram to the backend.
        fromPod.testRun(TestPacket.tcpSyn(POD, 41000, LOCAL_BACKEND, 8080).toBytes(), 1);
        fromPod.testRun(TestPacket.udp(POD, 41000, LOCAL_BACKEND, 8080, "d".getBytes()).toBytes(), 1);

        assertThat(toPod.testRun(synAck, 1).packetOut()).as("the direct connection's SYN-ACK").isEqualTo(synAck);
        assertThat(toPod.testRun(answer, 1).packetOut()).as("the direct datagram's answer").isEqualTo(answer);
        assertThat(flows.conntrackEntries()).as("the old flows are forgotten entirely").isEmpty();

        // And back through the service from the same port: a new flow, whose reply is translated.
        fromPod.testRun(TestPacket.tcpSyn(POD, 41000, VIP, 80).toBytes(), 1);
        assertThat(TestPacket.parseVerified(toPod.testRun(synAck, 1).packetOut()).source()).isEqualTo(TestPacket.ip(VIP));
    }

    @Test
    void aSynOfAKnownFlowRestoresAReplyEntryTheLruEvictedAlone() {
        services.putService(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(80, 1, 0, 0),
                List.of(106), 0);
        byte[] syn = TestPacket.tcpSyn(POD, 41001, VIP, 80).toBytes();
        fromPod.testRun(syn, 1);
        Ct4Key replyKey = new Ct4Key(Ipv4.parse(LOCAL_BACKEND), Ipv4.parse(POD), 8080, 41001, IpProtocol.TCP);
        Ct4Entry reply = flows.conntrack().get(replyKey).orElseThrow();
        assertThat(flows.conntrack().remove(replyKey)).isTrue();

        fromPod.testRun(syn, 1);

        assertThat(flows.conntrack().get(replyKey)).contains(reply);
    }

    @Test
    void truncatedAndMalformedPacketsAreDroppedAndCountedByTheExternalPrograms() {
        byte[] syn = TestPacket.tcpSyn(CLIENT, 40020, NODE, CLUSTER_NODE_PORT).toBytes();
        byte[] udp = TestPacket.udp(CLIENT, 5003, NODE, CLUSTER_NODE_PORT, new byte[0]).toBytes();
        byte[] optionsBeyondTheEnd = syn.clone();
        optionsBeyondTheEnd[14] = 0x4f;
        byte[] badVersion = syn.clone();
        badVersion[14] = 0x65;
        byte[] shortIhl = syn.clone();
        shortIhl[14] = 0x44;
        List<byte[]> malformed = List.of(Arrays.copyOf(syn, 34), Arrays.copyOf(syn, 40), Arrays.copyOf(syn, 53),
                Arrays.copyOf(udp, 41), optionsBeyondTheEnd, badVersion, shortIhl);
        for (BpfProgram program : List.of(fromNetdev, toNetdev)) {
            long before = counters.read(DatapathCounter.DROP_MALFORMED);
            for (byte[] packet : malformed) {
                assertThat(program.testRun(packet, 1).verdict()).as("%s on %d bytes", program.name(), packet.length)
                        .isEqualTo(TC_ACT_SHOT);
            }
            assertThat(counters.read(DatapathCounter.DROP_MALFORMED) - before).isEqualTo(malformed.size());
        }
        assertThat(flows.conntrackEntries()).as("nothing was tracked").isEmpty();
    }

    @Test
    void packetsThatAreNotForAServicePassUntouched() {
        byte[] direct = TestPacket.tcpSyn(CLIENT, 40021, LOCAL_BACKEND, 8080).toBytes();
        byte[] otherPort = TestPacket.tcpSyn(CLIENT, 40022, NODE, 22).toBytes();
        byte[] internalOnly = TestPacket.tcpSyn(CLIENT, 40023, VIP, 80).toBytes();
        byte[] fragment = TestPacket.udp(CLIENT, 5004, NODE, CLUSTER_NODE_PORT, "x".getBytes()).toBytes();
        fragment[20] = 0x20; // more fragments
        byte[] arp = Arrays.copyOf(direct, 42);
        arp[12] = 0x08;
        arp[13] = 0x06;
        services.putService(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL),
                new Lb4Service(70, 1, 0, 0), List.of(106), 0);

        for (BpfProgram program : List.of(fromNetdev, toNetdev)) {
            for (byte[] packet : List.of(direct, otherPort, internalOnly, fragment, arp)) {
                TestRunResult out = program.testRun(packet, 1);
                assertThat(out.verdict()).isEqualTo(TC_ACT_OK);
                assertThat(out.packetOut()).isEqualTo(packet);
            }
        }
    }
}
