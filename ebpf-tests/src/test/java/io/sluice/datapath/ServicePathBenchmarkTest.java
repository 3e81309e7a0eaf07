package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.fixtures.TestPacket;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.maps.Codec;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb4SlotKey;
import io.sluice.maps.LbScope;
import io.sluice.maps.MapName;
import io.sluice.maps.Node4Config;
import io.sluice.maps.NodeConfigMap;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Figures, printed and never asserted (the machine is shared): the per-packet cost of the tc service path at 10,
 * 1,000 and 100,000 services as a ratio to {@code xdp_pass} in the same run, and new TCP connections per second
 * to a ClusterIP against the same backend by its pod IP. About 10 s on an idle 2-core machine; part of the normal suite.
 */
@KernelTest
@Tag("benchmark")
class ServicePathBenchmarkTest {
    private static final int REPEAT = 100_000;
    private static final int NEW_FLOWS = 1_000;
    private static final int BACKENDS = 1_000;
    private static final int SLOTS_PER_SERVICE = 4;
    private static final int NODE_PORTS = 2_000;

    @Test
    void perPacketCostIsFlatFrom10To100000Services() {
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
             BpfObject floor = BpfObject.open(BpfObjectFile.XDP_PASS.bytes(), BpfObjectFile.XDP_PASS.baseName())) {
            pod.load();
            floor.load();
            try (TypedMap<Lb4Key, Lb4Service> services = new TypedMap<>(pod.map(MapName.LB4_SERVICES.cName()), Lb4Key.CODEC,
                    Lb4Service.CODEC);
                 TypedMap<Lb4SlotKey, Integer> slots = new TypedMap<>(pod.map(MapName.LB4_SLOTS.cName()), Lb4SlotKey.CODEC,
                         Codec.UINT32);
                 TypedMap<Integer, Lb4Backend> backends = new TypedMap<>(pod.map(MapName.LB4_BACKENDS.cName()), Codec.UINT32,
                         Lb4Backend.CODEC);
                 NodeConfigMap config = NodeConfigMap.of(pod)) {
                config.put(new Node4Config(Ipv4.parse("10.0.0.1"), Ipv4.parse("169.254.42.1")));
                Map<Integer, Lb4Backend> allBackends = new HashMap<>();
                for (int id = 1; id <= BACKENDS; id++) {
                    allBackends.put(id, new Lb4Backend(new Ipv4(0x0a010000 + id), 8080, IpProtocol.TCP, 0));
                }
                backends.putAll(allBackends);
                BpfProgram fromPod = pod.program("from_pod");
                BpfProgram fromNetdev = pod.program("from_netdev");
                BpfProgram xdpPass = floor.program("xdp_pass");
                int filled = 0;
                for (int scale : new int[] {10, 1_000, 100_000}) {
                    fill(services, slots, filled, scale);
                    filled = scale;
                    report(scale, fromPod, fromNetdev, xdpPass);
                }
            }
        }
    }

    /**
     * Services {@code from..to-1}, each with {@value #SLOTS_PER_SERVICE} slots: a ClusterIP in 10.96/12 on port 80,
     * and the first {@value #NODE_PORTS} also a node port.
     */
    private static void fill(TypedMap<Lb4Key, Lb4Service> services, TypedMap<Lb4SlotKey, Integer> slots, int from, int to) {
        Map<Lb4Key, Lb4Service> frontends = new HashMap<>();
        Map<Lb4SlotKey, Integer> slotEntries = new HashMap<>();
        for (int i = from; i < to; i++) {
            Lb4Service service = new Lb4Service(i + 1, SLOTS_PER_SERVICE, DatapathConstants.LB_F_SNAT_REMOTE, 0);
            frontends.put(clusterIp(i), service);
            if (i < NODE_PORTS) {
                frontends.put(new Lb4Key(nodeAddress(), 30000 + i, IpProtocol.TCP, LbScope.EXTERNAL), service);
            }
            for (int slot = 0; slot < SLOTS_PER_SERVICE; slot++) {
                slotEntries.put(new Lb4SlotKey(i + 1, slot), 1 + (i * SLOTS_PER_SERVICE + slot) % BACKENDS);
            }
        }
        slots.putAll(slotEntries);
        services.putAll(frontends);
    }

    private static Lb4Key clusterIp(int i) {
        return new Lb4Key(new Ipv4(0x0a600000 + i), 80, IpProtocol.TCP, LbScope.INTERNAL);
    }

    private static Ipv4 nodeAddress() {
        return Ipv4.parse("10.0.0.1");
    }

    private static void report(int scale, BpfProgram fromPod, BpfProgram fromNetdev, BpfProgram xdpPass) {
        Random random = new Random(scale);
        byte[] syn = TestPacket.tcpSyn("10.9.0.1", 40000, ip(clusterIp(scale - 1)), 80).toBytes();
        long floor = xdpPass.testRun(syn, REPEAT).nsPerRun();
        long established = fromPod.testRun(syn, REPEAT).nsPerRun();
        byte[] external = TestPacket.tcpSyn("10.9.0.2", 40000, nodeAddress().toString(),
                30000 + random.nextInt(Math.min(scale, NODE_PORTS))).toBytes();
        long externalEstablished = fromNetdev.testRun(external, REPEAT).nsPerRun();
        long notAService = fromPod.testRun(TestPacket.tcpSyn("10.9.0.1", 40001, "10.200.0.1", 80).toBytes(), REPEAT)
                .nsPerRun();
        long floorOnce = 0;
        long newFlow = 0;
        long hitOnce = 0;
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < NEW_FLOWS; i++) {
            packets.add(TestPacket.tcpSyn("10.10." + (i >> 8 & 255) + "." + (i & 255), 1024 + scale % 1000,
                    ip(clusterIp(random.nextInt(scale))), 80).toBytes());
        }
        for (byte[] packet : packets) {
            newFlow += fromPod.testRun(packet, 1).nsPerRun();
            floorOnce += xdpPass.testRun(packet, 1).nsPerRun();
        }
        for (byte[] packet : packets) {
            hitOnce += fromPod.testRun(packet, 1).nsPerRun();
        }
        assertThat(established).isPositive();
        System.out.printf("tc service path at %,7d services: xdp_pass %d ns; from_pod ClusterIP conntrack hit %d ns"
                        + " (%.1fx); from_netdev NodePort+SNAT conntrack hit (FIB lookup ends early in a test run) %d ns (%.1fx); not a service %d ns (%.1fx);"
                        + " one run per call, %d flows to random services: xdp_pass %.0f ns, new flow (lookup, pick, 2 conntrack"
                        + " inserts, DNAT) %.0f ns (%.1fx), the same flows again (conntrack hit) %.0f ns (%.1fx)%n",
                scale, floor, established, ratio(established, floor), externalEstablished, ratio(externalEstablished, floor),
                notAService, ratio(notAService, floor), NEW_FLOWS, (double) floorOnce / NEW_FLOWS,
                (double) newFlow / NEW_FLOWS, ratio(newFlow, floorOnce), (double) hitOnce / NEW_FLOWS, ratio(hitOnce, floorOnce));
    }

    private static double ratio(long cost, long floor) {
        return (double) cost / Math.max(1, floor);
    }

    private static String ip(Lb4Key key) {
        return key.address().toString();
    }

    @Test
    void newConnectionsPerSecondToAClusterIpMatchThoseToThePodIp() {
        try (ServiceNode net = new ServiceNode()) {
            PyTraffic.server(net.web, "tcpclose:9000:sink");
            net.backend(1, ServiceNode.WEB_POD, 9000, IpProtocol.TCP, true);
            String vip = "198.18.100.60";
            net.frontend(ServiceNode.key(vip, 80, IpProtocol.TCP, LbScope.INTERNAL), 60, 0, 0, List.of(1));

            double[] socketPath = connectionsPerSecond(net.node.inCgroup(net.cgroup), vip, 80, ServiceNode.WEB_POD, 9000);
            double[] perPacket = connectionsPerSecond(net.client, vip, 80, ServiceNode.WEB_POD, 9000);
            System.out.printf("new TCP connections per second, ClusterIP vs pod IP, one client loop alternating every 50 ms"
                    + " for 2 x 1 s: socket path (node in the cgroup) %.0f/s vs %.0f/s = %.3f; per-packet path (pod)"
                    + " %.0f/s vs %.0f/s = %.3f%n", socketPath[0], socketPath[1], socketPath[0] / socketPath[1],
                    perPacket[0], perPacket[1], perPacket[0] / perPacket[1]);
        }
    }

    /** Connections per second to the service and to the pod, measured in alternating 50 ms slices. */
    private static double[] connectionsPerSecond(Netns client, String vip, int vipPort, String pod, int podPort) {
        List<String> lines = PyTraffic.client(client, Duration.ofSeconds(60), "cps", vip, vipPort, pod, podPort, 50, 20);
        double[] rates = new double[2];
        for (int i = 0; i < 2; i++) {
            String[] result = lines.get(i).split(" ");
            assertThat(Long.parseLong(result[2])).as("failed connects (%s)", i == 0 ? "service" : "pod").isZero();
            rates[i] = Long.parseLong(result[0]) * 1e9 / Long.parseLong(result[1]);
        }
        return rates;
    }
}
