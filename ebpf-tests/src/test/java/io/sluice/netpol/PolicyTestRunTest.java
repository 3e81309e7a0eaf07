package io.sluice.netpol;

import static io.sluice.netpol.PolicyTestBed.TC_ACT_OK;
import static io.sluice.netpol.PolicyTestBed.TC_ACT_SHOT;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.fixtures.TestPacket;
import io.sluice.loader.TestRunResult;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.DropEvent;
import io.sluice.maps.DropReason;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Ipcache4Value;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.MapName;
import io.sluice.maps.Pct4Entry;
import io.sluice.maps.Pct4Key;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.Policy4Peer;
import io.sluice.maps.Policy4PeerKey;
import io.sluice.maps.Policy4Value;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDatapathState;
import io.sluice.maps.PolicyDirection;
import io.sluice.maps.PolicyMaps;
import io.sluice.maps.PolicyWritePlan;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The policy path of {@code from_pod} and {@code to_pod} on crafted packets through {@code BPF_PROG_TEST_RUN}:
 * which packets pass and which are dropped (with the counter and the ring buffer event of each drop), replies of
 * admitted flows, revocation through the revision, egress checked on the backend after service translation,
 * anti-spoofing, malformed packets, fragments and IPv6.
 */
@KernelTest
class PolicyTestRunTest {
    private static final String POD_A = "10.0.1.2";
    private static final String POD_B = "10.0.2.2";
    private static final String REMOTE = "10.7.0.9";
    private static final String OUTSIDE = "203.0.113.5";
    private static final String VIP = "10.96.0.10";
    private static final String VIP_OUTSIDE = "10.96.0.11";
    private static final int ID_A = 256;
    private static final int ID_B = 257;
    private static final int ID_REMOTE = 300;
    private static final int EP_A = 11;
    private static final int EP_B = 12;
    private static final int ING = PolicyConstants.EP_F_INGRESS_ENFORCED;
    private static final int EGR = PolicyConstants.EP_F_EGRESS_ENFORCED;

    private PolicyTestBed bed;
    private PolicyDatapathState programmed = PolicyDatapathState.empty();
    private int lxcA;
    private int lxcB;
    private int lxcOther;

    @BeforeEach
    void load() {
        bed = new PolicyTestBed();
        lxcA = bed.veth(1);
        lxcB = bed.veth(2);
        lxcOther = bed.veth(3);
    }

    @AfterEach
    void unload() {
        bed.close();
    }

    /** Programs pods A (on lxc1) and B (on lxc2) with the given flags, the ipcache and the entries. */
    private void program(int flagsA, int flagsB, Set<Policy4Key> entries) {
        Map<Ipcache4Key, Integer> ipcache = Map.of(host(POD_A), ID_A, host(POD_B), ID_B, host(REMOTE), ID_REMOTE);
        Map<Ipv4, Ep4Info> endpoints = Map.of(Ipv4.parse(POD_A), new Ep4Info(ID_A, lxcA, EP_A, flagsA),
                Ipv4.parse(POD_B), new Ep4Info(ID_B, lxcB, EP_B, flagsB));
        PolicyDatapathState next = new PolicyDatapathState(ipcache, endpoints,
                Map.of(lxcA, Ipv4.parse(POD_A), lxcB, Ipv4.parse(POD_B)), entries);
        bed.policy.apply(PolicyWritePlan.between(programmed, next));
        programmed = next;
    }

    private TestRunResult toB(TestPacket packet, int ingressIfindex) {
        return bed.run(bed.toPod, packet.toBytes(), lxcB, ingressIfindex);
    }

    @Test
    void ingressPassesOnlyWhatAnEntryCoversAndReportsEveryDrop() {
        program(0, ING, Set.of(
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 6, 80, 16),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 6, 8080, 15),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, PolicyConstants.IDENTITY_ANY, 17, 53, 16)));

        assertThat(toB(TestPacket.tcpSyn(REMOTE, 40000, POD_B, 80), lxcOther).verdict()).isEqualTo(TC_ACT_OK);
        assertThat(toB(TestPacket.tcpSyn(REMOTE, 40001, POD_B, 8081), lxcOther).verdict()).as("in the block 8080-8081").isEqualTo(TC_ACT_OK);
        assertThat(toB(TestPacket.udp(OUTSIDE, 5353, POD_B, 53, new byte[4]), lxcOther).verdict()).as("any peer, UDP 53").isEqualTo(TC_ACT_OK);
        assertThat(toB(TestPacket.tcpSyn(REMOTE, 40002, POD_B, 81), lxcOther).verdict()).as("port 81").isEqualTo(TC_ACT_SHOT);
        assertThat(toB(TestPacket.tcpSyn(REMOTE, 40003, POD_B, 8082), lxcOther).verdict()).as("past the block").isEqualTo(TC_ACT_SHOT);
        assertThat(toB(TestPacket.udp(REMOTE, 40004, POD_B, 80, new byte[4]), lxcOther).verdict()).as("UDP 80").isEqualTo(TC_ACT_SHOT);
        assertThat(toB(TestPacket.tcpSyn(OUTSIDE, 40005, POD_B, 53), lxcOther).verdict()).as("TCP 53 from outside").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.toPod, TestPacket.tcpSyn(REMOTE, 40006, POD_A, 81).toBytes(), lxcA, lxcOther).verdict())
                .as("pod A enforces nothing").isEqualTo(TC_ACT_OK);

        assertThat(bed.counter(DatapathCounter.DROP_POLICY_INGRESS)).isEqualTo(4);
        List<DropEvent> events = bed.drainEvents();
        assertThat(events).extracting(DropEvent::destinationPort).containsExactly(81, 8082, 80, 53);
        DropEvent first = events.getFirst();
        assertThat(first.reason()).isEqualTo(DropReason.POLICY);
        assertThat(first.direction()).isEqualTo(PolicyDirection.INGRESS);
        assertThat(List.of(first.source().toString(), first.sourcePort(), first.destination().toString(), first.protocol()))
                .containsExactly(REMOTE, 40002, POD_B, 6);
        assertThat(List.of(first.sourceIdentity(), first.destinationIdentity(), first.endpointId(), first.ifindex()))
                .containsExactly(ID_REMOTE, ID_B, EP_B, lxcB);
        assertThat(first.verdict()).isEqualTo(PolicyConstants.POLICY_VERDICT_DENY);
        assertThat(events.get(3).sourceIdentity()).as("an address outside every prefix").isEqualTo(PolicyConstants.IDENTITY_WORLD);
    }

    @Test
    void packetsTheNodeSendsAreTheHostIdentityWhateverTheirSource() {
        program(0, ING, Set.of(Policy4Key.anyProtocol(EP_B, PolicyDirection.INGRESS, PolicyConstants.IDENTITY_HOST)));

        assertThat(toB(TestPacket.tcpSyn(OUTSIDE, 41000, POD_B, 8080), 0).verdict()).as("no ingress interface: the node").isEqualTo(TC_ACT_OK);
        assertThat(toB(TestPacket.tcpSyn(OUTSIDE, 41001, POD_B, 8080), lxcOther).verdict()).as("forwarded").isEqualTo(TC_ACT_SHOT);
        assertThat(toB(TestPacket.tcpSyn(POD_B, 41002, POD_B, 8080), lxcB).verdict()).as("the pod's own packet turned around").isEqualTo(TC_ACT_OK);
    }

    @Test
    void repliesOfAnAdmittedFlowPassUntilANewPolicyRevokesIt() {
        Policy4Key web = Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 6, 80, 16);
        program(0, ING | EGR, Set.of(web));
        TestPacket syn = TestPacket.tcpSyn(REMOTE, 42000, POD_B, 80);

        assertThat(toB(syn, lxcOther).verdict()).isEqualTo(TC_ACT_OK);
        int revision = bed.policy.revision().revision();
        assertThat(bed.policy.conntrack().get(new Pct4Key(Ipv4.parse(REMOTE), Ipv4.parse(POD_B), 42000, 80, 6)))
                .contains(new Pct4Entry(0, revision, 0));
        assertThat(bed.run(bed.fromPod, syn.reply().toBytes(), lxcB, lxcB).verdict()).as("B's reply").isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn(POD_B, 80, REMOTE, 42001).toBytes(), lxcB, lxcB).verdict())
                .as("B opening a flow of its own").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.drainEvents()).singleElement().extracting(DropEvent::direction).isEqualTo(PolicyDirection.EGRESS);

        program(0, ING | EGR, Set.of());

        assertThat(bed.policy.revision().revision()).isGreaterThan(revision);
        assertThat(toB(syn, lxcOther).verdict()).as("the flow after revocation").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.fromPod, syn.reply().toBytes(), lxcB, lxcB).verdict()).as("and its replies").isEqualTo(TC_ACT_SHOT);
        List<DropEvent> events = bed.drainEvents();
        assertThat(events).hasSize(2).allSatisfy(e -> {
            assertThat(e.direction()).isEqualTo(PolicyDirection.INGRESS);
            assertThat(List.of(e.source().toString(), e.sourcePort())).as("reported as the flow's first packet")
                    .containsExactly(REMOTE, 42000);
        });
        assertThat(bed.counter(DatapathCounter.DROP_POLICY_INGRESS)).isEqualTo(2);
        assertThat(bed.counter(DatapathCounter.DROP_POLICY_EGRESS)).isEqualTo(1);

        program(0, ING | EGR, Set.of(web));
        assertThat(toB(syn, lxcOther).verdict()).as("granted again").isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.fromPod, syn.reply().toBytes(), lxcB, lxcB).verdict()).isEqualTo(TC_ACT_OK);
    }

    @Test
    void egressIsCheckedOnTheBackendAfterServiceTranslation() {
        program(EGR, 0, Set.of(Policy4Key.portBlock(EP_A, PolicyDirection.EGRESS, ID_REMOTE, 6, 8080, 16)));
        bed.services.putBackend(1, new Lb4Backend(Ipv4.parse(REMOTE), 8080, IpProtocol.TCP, 0));
        bed.services.putBackend(2, new Lb4Backend(Ipv4.parse(OUTSIDE), 8080, IpProtocol.TCP, 0));
        bed.services.putService(new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL),
                new Lb4Service(1, 1, 0, 0), List.of(1), 0);
        bed.services.putService(new Lb4Key(Ipv4.parse(VIP_OUTSIDE), 80, IpProtocol.TCP, LbScope.INTERNAL),
                new Lb4Service(2, 1, 0, 0), List.of(2), 0);

        TestRunResult allowed = bed.run(bed.fromPod, TestPacket.tcpSyn(POD_A, 43000, VIP, 80).toBytes(), lxcA, lxcA);
        assertThat(allowed.verdict()).isEqualTo(TC_ACT_OK);
        assertThat(TestPacket.parseVerified(allowed.packetOut())).isEqualTo(TestPacket.tcpSyn(POD_A, 43000, REMOTE, 8080));
        assertThat(bed.policy.conntrack().get(new Pct4Key(Ipv4.parse(POD_A), Ipv4.parse(REMOTE), 43000, 8080, 6)))
                .as("tracked as translated").isPresent();
        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn(POD_A, 43000, VIP, 80).toBytes(), lxcA, lxcA).verdict())
                .as("the flow's next packet").isEqualTo(TC_ACT_OK);

        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn(POD_A, 43001, VIP_OUTSIDE, 80).toBytes(), lxcA, lxcA).verdict())
                .as("a service whose backend no rule allows").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.drainEvents()).singleElement().satisfies(e -> {
            assertThat(e.destination().toString()).as("the backend, not the ClusterIP").isEqualTo(OUTSIDE);
            assertThat(e.destinationPort()).isEqualTo(8080);
            assertThat(e.destinationIdentity()).isEqualTo(PolicyConstants.IDENTITY_WORLD);
            assertThat(e.sourceIdentity()).isEqualTo(ID_A);
        });
        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn(POD_A, 43002, REMOTE, 8080).toBytes(), lxcA, lxcA).verdict())
                .as("the backend directly").isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn(POD_A, 43003, REMOTE, 80).toBytes(), lxcA, lxcA).verdict())
                .as("another port of the backend").isEqualTo(TC_ACT_SHOT);
    }

    @Test
    void aPodMaySendOnlyFromItsOwnAddressOnItsOwnVeth() {
        program(0, 0, Set.of());

        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn(POD_A, 44000, REMOTE, 80).toBytes(), lxcA, lxcA).verdict())
                .isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn("10.0.9.9", 44001, REMOTE, 80).toBytes(), lxcA, lxcA).verdict())
                .as("another source on A's veth").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.fromPod, TestPacket.udp(POD_A, 44002, REMOTE, 53, new byte[2]).toBytes(), lxcOther, lxcOther).verdict())
                .as("A's address from another veth").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn("10.0.9.9", 44003, REMOTE, 80).toBytes(), lxcOther, lxcOther).verdict())
                .as("an unknown veth and address: not an endpoint").isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.fromPod, RawFrames.arp(), lxcA, lxcA).verdict()).as("ARP").isEqualTo(TC_ACT_OK);

        assertThat(bed.counter(DatapathCounter.DROP_SPOOFED)).isEqualTo(2);
        List<DropEvent> events = bed.drainEvents();
        assertThat(events).extracting(DropEvent::reason).containsOnly(DropReason.SPOOFED);
        assertThat(events.getFirst().endpointId()).as("the sender behind A's veth").isEqualTo(EP_A);
        assertThat(events.getFirst().source().toString()).isEqualTo("10.0.9.9");
        assertThat(events.get(1).endpointId()).as("sent from a veth of no endpoint").isZero();
    }

    @Test
    void malformedPacketsAndUnknownFragmentsAreDroppedAndFragmentsOfAnAdmittedDatagramPass() {
        program(0, ING, Set.of(Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 17, 53, 16)));
        long malformed = bed.counter(DatapathCounter.DROP_MALFORMED);

        assertThat(bed.run(bed.toPod, RawFrames.cutTcp(REMOTE, POD_B), lxcB, lxcOther).verdict()).isEqualTo(TC_ACT_SHOT);
        assertThat(bed.counter(DatapathCounter.DROP_MALFORMED)).isEqualTo(malformed + 1);

        byte[] first = RawFrames.ipv4(REMOTE, POD_B, 17, 0x2000, 77, RawFrames.udp(5000, 53, 1400));
        byte[] later = RawFrames.ipv4(REMOTE, POD_B, 17, 1408 / 8, 77, new byte[600]);
        byte[] orphan = RawFrames.ipv4(REMOTE, POD_B, 17, 1408 / 8, 78, new byte[600]);
        byte[] denied = RawFrames.ipv4(REMOTE, POD_B, 17, 0x2000, 79, RawFrames.udp(5000, 54, 1400));
        byte[] deniedLater = RawFrames.ipv4(REMOTE, POD_B, 17, 1408 / 8, 79, new byte[600]);
        assertThat(bed.run(bed.toPod, orphan, lxcB, lxcOther).verdict()).as("a later fragment first").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.toPod, first, lxcB, lxcOther).verdict()).as("first fragment, UDP 53").isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.toPod, later, lxcB, lxcOther).verdict()).as("its later fragment").isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.toPod, denied, lxcB, lxcOther).verdict()).as("first fragment, UDP 54").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.toPod, deniedLater, lxcB, lxcOther).verdict()).as("its later fragment").isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.toPod, RawFrames.ipv4(REMOTE, "10.0.5.5", 17, 100, 80, new byte[64]), lxcOther, lxcB).verdict())
                .as("a later fragment to no endpoint").isEqualTo(TC_ACT_OK);

        assertThat(bed.counter(DatapathCounter.DROP_FRAGMENT)).isEqualTo(1);
        assertThat(bed.drainEvents()).extracting(DropEvent::reason)
                .containsExactly(DropReason.FRAGMENT, DropReason.POLICY, DropReason.POLICY);
    }

    @Test
    void ipv6IsDroppedOnlyForAnEndpointThatEnforcesTheDirection() {
        program(0, ING, Set.of());

        assertThat(bed.run(bed.toPod, RawFrames.ipv6Udp(), lxcB, lxcOther).verdict()).isEqualTo(TC_ACT_SHOT);
        assertThat(bed.run(bed.fromPod, RawFrames.ipv6Udp(), lxcB, lxcB).verdict()).as("B's egress is open").isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.toPod, RawFrames.ipv6Udp(), lxcA, lxcOther).verdict()).as("A enforces nothing").isEqualTo(TC_ACT_OK);
        assertThat(bed.counter(DatapathCounter.DROP_UNSUPPORTED_L3)).isEqualTo(1);
        assertThat(bed.drainEvents()).singleElement().extracting(DropEvent::reason).isEqualTo(DropReason.UNSUPPORTED_L3);
    }

    @Test
    void withoutEndpointsThePodProgramsLeavePacketsAloneAndTrackNothing() {
        TestPacket syn = TestPacket.tcpSyn(POD_A, 45000, POD_B, 81);

        TestRunResult out = bed.run(bed.fromPod, syn.toBytes(), lxcA, lxcA);
        TestRunResult in = bed.run(bed.toPod, syn.toBytes(), lxcB, lxcA);

        assertThat(List.of(out.verdict(), in.verdict())).containsExactly(TC_ACT_OK, TC_ACT_OK);
        assertThat(out.packetOut()).isEqualTo(syn.toBytes());
        assertThat(bed.policy.conntrack().entries()).isEmpty();
        assertThat(bed.drainEvents()).isEmpty();
    }

    @Test
    void theConntrackEntryRecordsEachSidesCheck() {
        program(EGR, ING, new HashSet<>(List.of(
                Policy4Key.anyProtocol(EP_A, PolicyDirection.EGRESS, ID_B),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_A, 6, 80, 16))));
        TestPacket syn = TestPacket.tcpSyn(POD_A, 46000, POD_B, 80);
        Pct4Key key = new Pct4Key(Ipv4.parse(POD_A), Ipv4.parse(POD_B), 46000, 80, 6);
        int revision = bed.policy.revision().revision();

        assertThat(bed.run(bed.fromPod, syn.toBytes(), lxcA, lxcA).verdict()).isEqualTo(TC_ACT_OK);
        assertThat(bed.policy.conntrack().get(key)).contains(new Pct4Entry(revision, 0, 0));
        assertThat(bed.run(bed.toPod, syn.toBytes(), lxcB, lxcA).verdict()).isEqualTo(TC_ACT_OK);
        assertThat(bed.policy.conntrack().get(key)).contains(new Pct4Entry(revision, revision, 0));
        assertThat(bed.run(bed.fromPod, syn.reply().toBytes(), lxcB, lxcB).verdict()).isEqualTo(TC_ACT_OK);
        assertThat(bed.run(bed.toPod, syn.reply().toBytes(), lxcA, lxcB).verdict()).isEqualTo(TC_ACT_OK);
        Map<Pct4Key, Pct4Entry> all = new HashMap<>(bed.policy.conntrack().entries());
        assertThat(all).as("replies create no entry of their own").containsOnlyKeys(key);
    }

    @Test
    void everyPortBlockWidthAndEveryIpcacheLevelGiveTheVerdictTheStateDescribes() {
        int idSubnet = 400;
        int idCidr = 401;
        Map<Ipcache4Key, Integer> ipcache = Map.of(host(POD_A), ID_A, host(POD_B), ID_B, host(REMOTE), ID_REMOTE,
                new Ipcache4Key(Ipv4.parse("10.7.0.0"), 16), idSubnet, new Ipcache4Key(Ipv4.parse("198.51.100.0"), 24), idCidr);
        Set<Policy4Key> wide = Set.of(
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 6, 80, 16),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 6, 8080, 15),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 6, 1024, 6),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 17, 0, 0),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, idSubnet, 6, 8080, 16),
                Policy4Key.anyProtocol(EP_B, PolicyDirection.INGRESS, idCidr),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, PolicyConstants.IDENTITY_ANY, 6, 443, 16));
        Set<Policy4Key> narrow = Set.of(
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, ID_REMOTE, 6, 80, 16),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, idSubnet, 17, 53, 16),
                Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, PolicyConstants.IDENTITY_ANY, 6, 443, 16));
        List<String> sources = List.of(REMOTE, "10.7.0.10", "198.51.100.7", OUTSIDE, POD_A);
        int[] ports = {53, 80, 81, 443, 1023, 1024, 1500, 2047, 2048, 8079, 8080, 8081, 8082};
        int sourcePort = 20000;
        for (Set<Policy4Key> entries : List.of(wide, narrow, wide)) {
            PolicyDatapathState next = new PolicyDatapathState(ipcache,
                    Map.of(Ipv4.parse(POD_B), new Ep4Info(ID_B, lxcB, EP_B, ING)), Map.of(lxcB, Ipv4.parse(POD_B)), entries);
            bed.policy.apply(PolicyWritePlan.between(programmed, next));
            programmed = next;
            int allowed = 0;
            for (String source : sources) {
                for (int protocol : new int[] {TestPacket.TCP, TestPacket.UDP}) {
                    for (int port : ports) {
                        sourcePort++;
                        TestPacket packet = protocol == TestPacket.TCP ? TestPacket.tcpSyn(source, sourcePort, POD_B, port)
                                : TestPacket.udp(source, sourcePort, POD_B, port, new byte[4]);
                        boolean expected = next.allows(Ipv4.parse(POD_B), PolicyDirection.INGRESS, Ipv4.parse(source),
                                protocol, port);
                        assertThat(toB(packet, lxcOther).verdict()).as("%s proto %s port %s with %s", source, protocol, port,
                                entries).isEqualTo(expected ? TC_ACT_OK : TC_ACT_SHOT);
                        allowed += expected ? 1 : 0;
                    }
                }
            }
            assertThat(allowed).as("the grid has packets of both verdicts").isBetween(1, sources.size() * 2 * ports.length - 1);
        }
        assertThat(bed.policy.peers()).as("one summary per peer with entries").hasSize(4);
    }

    @Test
    void reopenedMapsListTheEntriesPresentAndMoveHostPrefixesOutOfTheTrie() {
        program(0, ING, Set.of());
        Policy4Key web = Policy4Key.portBlock(EP_B, PolicyDirection.INGRESS, 500, 6, 80, 16);
        bed.policy.entries().put(web, Policy4Value.ALLOW); // as an agent that stopped before its summary write left it
        try (TypedMap<Ipcache4Key, Ipcache4Value> trie = new TypedMap<>(bed.pod.map(MapName.IPCACHE4.cName()),
                Ipcache4Key.CODEC, Ipcache4Value.CODEC)) {
            trie.put(host("10.9.0.1"), new Ipcache4Value(500)); // as an agent before ipcache4_hosts wrote a /32
            assertThat(toB(TestPacket.tcpSyn("10.9.0.1", 47000, POD_B, 80), lxcOther).verdict())
                    .as("an entry no summary lists is not found").isEqualTo(TC_ACT_SHOT);

            try (PolicyMaps reopened = PolicyMaps.of(bed.pod)) {
                assertThat(reopened.peers()).containsEntry(new Policy4PeerKey(EP_B, PolicyDirection.INGRESS, 500),
                        new Policy4Peer(1 << 16, 0, 0, 0));
                assertThat(reopened.read().ipcache()).containsEntry(host("10.9.0.1"), 500);
                assertThat(trie.keys()).as("no /32 left in the trie").noneMatch(k -> k.prefixLength() == 32);
                assertThat(toB(TestPacket.tcpSyn("10.9.0.1", 47001, POD_B, 80), lxcOther).verdict()).isEqualTo(TC_ACT_OK);
            }
        }
    }

    private static Ipcache4Key host(String address) {
        return Ipcache4Key.host(Ipv4.parse(address));
    }
}
