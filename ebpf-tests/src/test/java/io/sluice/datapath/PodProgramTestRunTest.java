package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.fixtures.TestPacket;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.loader.TestRunResult;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.KernelTest;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pod programs on crafted packets through {@code BPF_PROG_TEST_RUN}: the verdict and the exact output
 * bytes (addresses, ports, valid checksums), and packets that are cut short or not for us.
 */
@KernelTest
class PodProgramTestRunTest {
    private static final int TC_ACT_OK = 0;
    private static final int TC_ACT_SHOT = 2;
    private static final String CLIENT = "10.0.1.5";
    private static final String VIP = "10.96.0.10";
    private static final String BACKEND = "10.0.2.7";

    private BpfObject pod;
    private ServiceMaps services;
    private DatapathCounters counters;
    private BpfProgram fromPod;
    private BpfProgram toPod;

    @BeforeEach
    void loadWithOneService() {
        pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
        pod.load();
        services = ServiceMaps.of(pod);
        counters = DatapathCounters.of(pod);
        fromPod = pod.program("from_pod");
        toPod = pod.program("to_pod");
        for (IpProtocol protocol : IpProtocol.values()) {
            services.putBackend(protocol.number(), new Lb4Backend(Ipv4.parse(BACKEND), 8080, protocol, 0));
            services.putService(new Lb4Key(Ipv4.parse(VIP), 80, protocol, LbScope.INTERNAL),
                    new Lb4Service(protocol.number(), 1, 0, 0), List.of(protocol.number()), 0);
        }
    }

    @AfterEach
    void unload() {
        try (var p = pod; var s = services; var c = counters) {
            // closed in reverse order
        }
    }

    @Test
    void aTcpSynToTheServiceLeavesAddressedToTheBackendWithValidChecksums() {
        TestRunResult out = fromPod.testRun(TestPacket.tcpSyn(CLIENT, 40000, VIP, 80).toBytes(), 1);

        assertThat(out.verdict()).isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(out.packetOut())).isEqualTo(TestPacket.tcpSyn(CLIENT, 40000, BACKEND, 8080));
    }

    @Test
    void theBackendsReplyIsRewrittenToComeFromTheService() {
        fromPod.testRun(TestPacket.tcpSyn(CLIENT, 40001, VIP, 80).toBytes(), 1);

        TestRunResult reply = toPod.testRun(TestPacket.tcpSyn(BACKEND, 8080, CLIENT, 40001).toBytes(), 1);

        assertThat(reply.verdict()).isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(reply.packetOut())).isEqualTo(TestPacket.tcpSyn(VIP, 80, CLIENT, 40001));
    }

    @Test
    void udpWithPayloadIsTranslatedBothWaysWithValidChecksums() {
        byte[] query = "query".getBytes();
        TestRunResult out = fromPod.testRun(TestPacket.udp(CLIENT, 5000, VIP, 80, query).toBytes(), 1);
        assertThat(TestPacket.parseVerified(out.packetOut())).isEqualTo(TestPacket.udp(CLIENT, 5000, BACKEND, 8080, query));

        TestRunResult back = toPod.testRun(TestPacket.udp(BACKEND, 8080, CLIENT, 5000, query).toBytes(), 1);
        assertThat(TestPacket.parseVerified(back.packetOut())).isEqualTo(TestPacket.udp(VIP, 80, CLIENT, 5000, query));
    }

    @Test
    void trafficNotForAServicePassesUntouched() {
        byte[] direct = TestPacket.tcpSyn(CLIENT, 40002, BACKEND, 8080).toBytes();
        byte[] otherPort = TestPacket.tcpSyn(CLIENT, 40003, VIP, 443).toBytes();
        byte[] arp = Arrays.copyOf(direct, 42);
        arp[12] = 0x08;
        arp[13] = 0x06;

        for (byte[] packet : List.of(direct, otherPort, arp)) {
            TestRunResult out = fromPod.testRun(packet, 1);
            assertThat(out.verdict()).isEqualTo(TC_ACT_OK);
            assertThat(out.packetOut()).isEqualTo(packet);
        }
    }

    @Test
    void truncatedHeadersAreDroppedAndCountedNeverRewritten() {
        byte[] syn = TestPacket.tcpSyn(CLIENT, 40004, VIP, 80).toBytes();
        long before = counters.read(DatapathCounter.DROP_MALFORMED);
        // Cut inside the TCP header (the kernel refuses test frames shorter than Ethernet + IPv4 headers).
        for (int length : new int[] {34, 40, 50}) {
            TestRunResult out = fromPod.testRun(Arrays.copyOf(syn, length), 1);
            assertThat(out.verdict()).as("verdict for %d bytes", length).isEqualTo(TC_ACT_SHOT);
        }
        byte[] optionsBeyondTheEnd = syn.clone();
        optionsBeyondTheEnd[14] = 0x4f;
        assertThat(fromPod.testRun(optionsBeyondTheEnd, 1).verdict()).as("IHL 15 on a 54-byte frame").isEqualTo(TC_ACT_SHOT);
        byte[] badVersion = syn.clone();
        badVersion[14] = 0x65;
        assertThat(fromPod.testRun(badVersion, 1).verdict()).isEqualTo(TC_ACT_SHOT);
        assertThat(counters.read(DatapathCounter.DROP_MALFORMED) - before).isEqualTo(5);
    }

    @Test
    void aServiceWithoutBackendsAnswersASynWithAReset() {
        services.putService(new Lb4Key(Ipv4.parse(VIP), 81, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(40, 0, 0, 0),
                List.of(), 0);

        TestRunResult out = fromPod.testRun(TestPacket.tcpSyn(CLIENT, 40005, VIP, 81).toBytes(), 1);

        assertThat(out.verdict()).as("TC_ACT_REDIRECT: back out of the pod's veth").isEqualTo(7);
        Frames.Parsed reset = Frames.Parsed.of(out.packetOut());
        assertThat(List.of(reset.sourceText(), reset.sourcePort(), reset.destinationText(), reset.destinationPort()))
                .containsExactly(VIP, 81, CLIENT, 40005);
        assertThat(reset.tcpFlags()).isEqualTo(Frames.TCP_RST | Frames.TCP_ACK);
        assertThat(counters.read(DatapathCounter.REFUSED_NO_BACKEND)).isEqualTo(1);
        assertThat(counters.read(DatapathCounter.DROP_NO_BACKEND)).isZero();
    }

    /** The per-packet cost of the service path and of the floor, in one run; printed, not asserted. */
    @Test
    void reportsNanosecondsPerRun() {
        int repeat = 1_000_000;
        byte[] syn = TestPacket.tcpSyn(CLIENT, 40006, VIP, 80).toBytes();
        try (BpfObject floor = BpfObject.open(BpfObjectFile.XDP_PASS.bytes(), BpfObjectFile.XDP_PASS.baseName())) {
            floor.load();
            long xdpPass = floor.program("xdp_pass").testRun(syn, repeat).nsPerRun();
            TestRunResult service = fromPod.testRun(syn, repeat);
            long notService = fromPod.testRun(TestPacket.tcpSyn(CLIENT, 40007, BACKEND, 8080).toBytes(), repeat).nsPerRun();
            assertThat(service.nsPerRun()).isPositive();
            System.out.printf("BPF_PROG_TEST_RUN x%d: xdp_pass %d ns/run; from_pod service DNAT (conntrack hit) %d ns/run"
                    + " (%.1fx xdp_pass); from_pod not a service %d ns/run%n", repeat, xdpPass, service.nsPerRun(),
                    (double) service.nsPerRun() / Math.max(1, xdpPass), notService);
        }
    }
}
