package io.sluice.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.fixtures.TestPacket;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.Policy4State;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDatapathState;
import io.sluice.maps.PolicyDirection;
import io.sluice.maps.PolicyWritePlan;
import io.sluice.testnet.KernelTest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Figures, printed and never asserted (the machine is shared): the per-packet cost of the policy path of
 * {@code to_pod} with 10, 1,000 and 50,000 policy entries (and as many ipcache prefixes), as a ratio to
 * {@code xdp_pass} in the same run. With revision 0 every packet is checked (ipcache LPM, then the policy LPM with
 * the peer's identity, and for the second figure again with identity 0); with a revision set, the packets of an
 * admitted flow only meet the conntrack. Takes about 20 s; part of the normal suite.
 */
@KernelTest
@Tag("benchmark")
class PolicyPathBenchmarkTest {
    private static final int REPEAT = 200_000;
    private static final int ENDPOINTS = 100;
    private static final String PEER = "10.7.0.9";
    private static final String OTHER_PEER = "10.8.0.9";
    private static final String POD = "10.0.2.2";
    private static final int EP = 42;
    private static final int PEER_IDENTITY = 300;

    @Test
    void perPacketCostIsFlatFrom10To50000Entries() {
        try (PolicyTestBed bed = new PolicyTestBed();
             BpfObject floor = BpfObject.open(BpfObjectFile.XDP_PASS.bytes(), BpfObjectFile.XDP_PASS.baseName())) {
            floor.load();
            BpfProgram xdpPass = floor.program("xdp_pass");
            int veth = bed.veth(2);
            int ingress = bed.veth(3);
            PolicyDatapathState programmed = PolicyDatapathState.empty();
            for (int scale : new int[] {10, 1_000, 50_000}) {
                PolicyDatapathState next = state(scale, veth);
                bed.policy.apply(PolicyWritePlan.between(programmed, next));
                programmed = next;
                byte[] exact = TestPacket.tcpSyn(PEER, 40000, POD, 80).toBytes();
                byte[] any = TestPacket.udp(OTHER_PEER, 40001, POD, 53, new byte[8]).toBytes();
                long floorNs = bed.inside.call(() -> xdpPass.testRun(exact, REPEAT).nsPerRun());
                bed.policy.setRevision(new Policy4State(0));
                long checkedExact = runAllowed(bed, exact, veth, ingress);
                long checkedAny = runAllowed(bed, any, veth, ingress);
                bed.policy.setRevision(new Policy4State(7));
                long tracked = runAllowed(bed, exact, veth, ingress);
                System.out.printf("policy path at %,6d entries and %,6d ipcache prefixes: xdp_pass %d ns; to_pod checking"
                                + " every packet, entry of the peer's identity %d ns (%.1fx), entry of identity 0 %d ns (%.1fx);"
                                + " packets of an admitted flow (conntrack, revision current) %d ns (%.1fx)%n",
                        next.entries().size(), next.ipcache().size(), floorNs, checkedExact, ratio(checkedExact, floorNs),
                        checkedAny, ratio(checkedAny, floorNs), tracked, ratio(tracked, floorNs));
            }
        }
    }

    private static long runAllowed(PolicyTestBed bed, byte[] packet, int veth, int ingress) {
        var result = bed.run(bed.toPod, packet, veth, ingress, REPEAT);
        assertThat(result.verdict()).as("the measured packet is allowed").isEqualTo(PolicyTestBed.TC_ACT_OK);
        return result.nsPerRun();
    }

    /**
     * {@code scale} entries spread over {@value #ENDPOINTS} endpoints, random identities and port blocks, plus the two
     * the measured packets need; as many ipcache prefixes (/32s and /24s).
     */
    private static PolicyDatapathState state(int scale, int veth) {
        Random random = new Random(scale);
        Set<Policy4Key> entries = new HashSet<>();
        entries.add(Policy4Key.portBlock(EP, PolicyDirection.INGRESS, PEER_IDENTITY, 6, 80, 16));
        entries.add(Policy4Key.portBlock(EP, PolicyDirection.INGRESS, PolicyConstants.IDENTITY_ANY, 17, 53, 16));
        while (entries.size() < scale) {
            int endpoint = 1 + random.nextInt(ENDPOINTS);
            PolicyDirection direction = random.nextBoolean() ? PolicyDirection.INGRESS : PolicyDirection.EGRESS;
            int identity = 256 + random.nextInt(Math.max(16, scale / 4));
            int prefix = 16 - random.nextInt(5);
            int port = random.nextInt(65536) & (0xffff << (16 - prefix)) & 0xffff;
            entries.add(random.nextInt(8) == 0 ? Policy4Key.anyProtocol(endpoint, direction, identity)
                    : Policy4Key.portBlock(endpoint, direction, identity, random.nextBoolean() ? 6 : 17, port, prefix));
        }
        Map<Ipcache4Key, Integer> ipcache = new HashMap<>();
        ipcache.put(Ipcache4Key.host(Ipv4.parse(PEER)), PEER_IDENTITY);
        ipcache.put(Ipcache4Key.host(Ipv4.parse(POD)), 257);
        while (ipcache.size() < scale) {
            int address = 0x0b000000 + random.nextInt(1 << 22);
            boolean subnet = random.nextInt(10) == 0;
            Ipcache4Key key = subnet ? new Ipcache4Key(new Ipv4(address & 0xffffff00), 24) : Ipcache4Key.host(new Ipv4(address));
            ipcache.put(key, 256 + random.nextInt(Math.max(16, scale / 4)));
        }
        return new PolicyDatapathState(ipcache,
                Map.of(Ipv4.parse(POD), new Ep4Info(257, veth, EP, PolicyConstants.EP_F_INGRESS_ENFORCED)),
                Map.of(veth, Ipv4.parse(POD)), entries);
    }

    private static double ratio(long ns, long floor) {
        return floor == 0 ? Double.NaN : (double) ns / floor;
    }
}
