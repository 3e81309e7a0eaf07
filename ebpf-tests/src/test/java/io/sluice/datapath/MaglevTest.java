package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.fixtures.TestPacket;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code LB_F_MAGLEV}: the service's Maglev table (its own array map in {@code lb_maglev}) holds a backend per slot,
 * and a new flow takes the slot its hash names. On crafted packets: the same flows land on the same backends every
 * time, spread evenly (within {@link Distribution}'s bound over its {@link Distribution#SAMPLES} flows: fixed flows
 * through a hash with a fixed seed, so the same counts every run), a table change moves exactly the flows of the
 * changed slots, each flow reads exactly the slot its hash names (a rotated table moves every flow to the next
 * slot's backend), and tables beyond the 16-bit {@code backend_count} are used in full. With real UDP from the
 * socket path: an unconnected socket stays on one backend for all its datagrams (random balancing would spread
 * them).
 */
@KernelTest
class MaglevTest {
    private static final int TABLE_SIZE = 251;
    private static final String VIP = "10.96.0.40";
    private static final int FLOWS = 1000;

    @Test
    void theFlowHashNamesTheSlotSoATableChangeMovesOnlyTheFlowsOfTheChangedSlots() {
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            try (ServiceMaps services = ServiceMaps.of(pod); ConntrackMaps flows = ConntrackMaps.of(pod)) {
                BpfProgram fromPod = pod.program("from_pod");
                for (int id = 1; id <= 4; id++) {
                    services.putBackend(id, new Lb4Backend(Ipv4.parse("10.0.7." + id), 8080, IpProtocol.TCP, 0));
                }
                Lb4Key frontend = new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL);
                List<Integer> table = balancedTable();
                services.putMaglevService(frontend, maglev(40, 4), toArray(table), 0);
                assertThat(services.maglevTable(40)).as("the table as written").hasValueSatisfying(
                        t -> assertThat(t).containsExactly(toArray(table)));
                List<byte[]> packets = randomFlows(Distribution.SAMPLES);

                List<String> first = backendsOf(fromPod, flows, packets);
                Map<String, Long> counts = first.stream().collect(Collectors.groupingBy(b -> b, Collectors.counting()));
                double chiSquare = Distribution.chiSquare(counts, List.of("10.0.7.1", "10.0.7.2", "10.0.7.3", "10.0.7.4"));
                System.out.printf("Maglev table of %d slots, %d flows: %s, chi-square %.2f (bound %.2f)%n", TABLE_SIZE,
                        packets.size(), counts, chiSquare, Distribution.CHI_SQUARE_BOUND);
                assertThat(chiSquare).as("spread of %s", counts).isLessThan(Distribution.CHI_SQUARE_BOUND);
                assertThat(backendsOf(fromPod, flows, packets)).as("the same flows again").isEqualTo(first);

                // Backend 4 leaves: only its slots change, as a Maglev table rebuilt without it would mostly do.
                List<Integer> without4 = new ArrayList<>(table);
                int next = 0;
                for (int slot = 0; slot < TABLE_SIZE; slot++) {
                    if (without4.get(slot) == 4) {
                        without4.set(slot, 1 + next++ % 3);
                    }
                }
                services.putMaglevService(frontend, maglev(40, 3), toArray(without4), 0);
                List<String> second = backendsOf(fromPod, flows, packets);
                for (int i = 0; i < packets.size(); i++) {
                    if (first.get(i).equals("10.0.7.4")) {
                        assertThat(second.get(i)).as("flow %d moved off backend 4", i).isNotEqualTo("10.0.7.4");
                    } else {
                        assertThat(second.get(i)).as("flow %d stayed", i).isEqualTo(first.get(i));
                    }
                }

                services.putService(frontend, new Lb4Service(40, 4, 0, 0), List.of(1, 2, 3, 4), 0);
                assertThat(services.maglevTable(40)).as("the table goes once the frontend no longer uses it").isEmpty();
                List<String> random = backendsOf(fromPod, flows, packets);
                long moved = IntStream.range(0, packets.size()).filter(i -> !random.get(i).equals(first.get(i)))
                        .count();
                assertThat(moved).as("without LB_F_MAGLEV the backends are picked at random")
                        .isGreaterThan(packets.size() / 2);

                services.removeService(frontend, 40, 4);
                assertThat(services.service(frontend)).isEmpty();
            }
        }
    }

    @Test
    void eachFlowReadsTheSlotItsHashNamesSoARotatedTableMovesEveryFlowToTheNextSlotsBackend() {
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            try (ServiceMaps services = ServiceMaps.of(pod); ConntrackMaps flows = ConntrackMaps.of(pod)) {
                BpfProgram fromPod = pod.program("from_pod");
                // One backend per slot, so the backend a flow reaches names its slot.
                int[] identity = new int[TABLE_SIZE];
                for (int slot = 0; slot < TABLE_SIZE; slot++) {
                    identity[slot] = 100 + slot;
                    services.putBackend(100 + slot, new Lb4Backend(new Ipv4(0x0a080000 + slot), 8080, IpProtocol.TCP, 0));
                }
                Lb4Key frontend = new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL);
                services.putMaglevService(frontend, maglev(42, TABLE_SIZE), identity, 0);
                List<byte[]> packets = randomFlows(FLOWS);
                List<Integer> slots = backendsOf(fromPod, flows, packets).stream()
                        .map(ip -> Ipv4.parse(ip).bits() - 0x0a080000).toList();

                int[] rotated = new int[TABLE_SIZE];
                for (int slot = 0; slot < TABLE_SIZE; slot++) {
                    rotated[slot] = identity[(slot + 1) % TABLE_SIZE];
                }
                services.putMaglevService(frontend, maglev(42, TABLE_SIZE), rotated, 0);
                List<Integer> after = backendsOf(fromPod, flows, packets).stream()
                        .map(ip -> Ipv4.parse(ip).bits() - 0x0a080000).toList();

                for (int i = 0; i < FLOWS; i++) {
                    assertThat(after.get(i)).as("flow %d: slot %d now holds the backend of slot %d", i, slots.get(i),
                            (slots.get(i) + 1) % TABLE_SIZE).isEqualTo((slots.get(i) + 1) % TABLE_SIZE);
                }
                assertThat(new HashSet<>(slots).size()).as("flows reach many slots").isGreaterThan(TABLE_SIZE / 2);
            }
        }
    }

    @Test
    void aTableOfTheLargestSizeIsUsedInFullBeyondTheSixteenBitsOfBackendCount() {
        int size = DatapathConstants.LB_MAGLEV_TABLE_SIZE_MAX;
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            try (ServiceMaps services = ServiceMaps.of(pod); ConntrackMaps flows = ConntrackMaps.of(pod)) {
                BpfProgram fromPod = pod.program("from_pod");
                services.putBackend(1, new Lb4Backend(Ipv4.parse("10.0.7.1"), 8080, IpProtocol.TCP, 0));
                services.putBackend(2, new Lb4Backend(Ipv4.parse("10.0.7.2"), 8080, IpProtocol.TCP, 0));
                // Slots below 65536 lead to backend 1, the rest to backend 2: a table cut to 16 bits never reaches 2.
                int[] table = new int[size];
                for (int slot = 0; slot < size; slot++) {
                    table[slot] = slot < 65536 ? 1 : 2;
                }
                Lb4Key frontend = new Lb4Key(Ipv4.parse(VIP), 80, IpProtocol.TCP, LbScope.INTERNAL);
                services.putMaglevService(frontend, maglev(43, 2), table, 0);

                Map<String, Long> counts = backendsOf(fromPod, flows, randomFlows(FLOWS)).stream()
                        .collect(Collectors.groupingBy(b -> b, Collectors.counting()));
                long upper = counts.getOrDefault("10.0.7.2", 0L);
                System.out.printf("Maglev table of %d slots, %d flows: %s%n", size, FLOWS, counts);
                // Binomial(1000, 65535/131071): mean 500, standard deviation 16; 5 deviations either side.
                assertThat(upper).as("flows in the upper half of %s", counts).isBetween(420L, 580L);
            }
        }
    }

    /**
     * A figure, printed and not asserted: the first packet of a new flow through {@code from_pod} to a Maglev frontend
     * (table of 16381 slots in {@code lb_maglev}: one more map lookup for the table, two in it) against a random one
     * (one slot lookup), the same 10 backends, flows interleaved in one run; one program run per call, conntrack
     * emptied between rounds so every flow is new.
     */
    @Test
    @Tag("benchmark")
    void newFlowCostMaglevVersusRandomInOneRun() {
        int size = 16381;
        int rounds = 5;
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            try (ServiceMaps services = ServiceMaps.of(pod); ConntrackMaps flows = ConntrackMaps.of(pod)) {
                BpfProgram fromPod = pod.program("from_pod");
                List<Integer> ids = new ArrayList<>();
                for (int id = 1; id <= 10; id++) {
                    services.putBackend(id, new Lb4Backend(Ipv4.parse("10.0.7." + id), 8080, IpProtocol.TCP, 0));
                    ids.add(id);
                }
                int[] table = new int[size];
                for (int slot = 0; slot < size; slot++) {
                    table[slot] = 1 + slot % 10;
                }
                services.putMaglevService(new Lb4Key(Ipv4.parse("10.96.0.41"), 80, IpProtocol.TCP, LbScope.INTERNAL),
                        maglev(44, 10), table, 0);
                services.putService(new Lb4Key(Ipv4.parse("10.96.0.42"), 80, IpProtocol.TCP, LbScope.INTERNAL),
                        new Lb4Service(45, 10, 0, 0), ids, 0);
                Random random = new Random(13);
                long[] maglevNs = new long[rounds * FLOWS];
                long[] randomNs = new long[rounds * FLOWS];
                for (int round = 0; round < rounds; round++) {
                    flows.conntrack().removeAll(flows.conntrack().keys());
                    for (int i = 0; i < FLOWS; i++) {
                        String client = "10.9." + random.nextInt(256) + "." + (1 + random.nextInt(254));
                        int port = 1024 + random.nextInt(64000);
                        var toMaglev = fromPod.testRun(TestPacket.tcpSyn(client, port, "10.96.0.41", 80).toBytes(), 1);
                        var toRandom = fromPod.testRun(TestPacket.tcpSyn(client, port, "10.96.0.42", 80).toBytes(), 1);
                        assertThat(TestPacket.ipText(TestPacket.parseVerified(toMaglev.packetOut()).destination()))
                                .startsWith("10.0.7.");
                        assertThat(TestPacket.ipText(TestPacket.parseVerified(toRandom.packetOut()).destination()))
                                .startsWith("10.0.7.");
                        maglevNs[round * FLOWS + i] = toMaglev.nsPerRun();
                        randomNs[round * FLOWS + i] = toRandom.nsPerRun();
                    }
                }
                Arrays.sort(maglevNs);
                Arrays.sort(randomNs);
                double maglevMean = Arrays.stream(maglevNs).average().orElse(0);
                double randomMean = Arrays.stream(randomNs).average().orElse(0);
                System.out.printf("new flow through from_pod, %d flows each, one run per call: Maglev (M=%d) median %d ns,"
                                + " mean %.0f ns; random median %d ns, mean %.0f ns; Maglev / random (means) %.2f%n",
                        rounds * FLOWS, size, maglevNs[maglevNs.length / 2], maglevMean, randomNs[randomNs.length / 2],
                        randomMean, maglevMean / Math.max(1, randomMean));
            }
        }
    }

    private static Lb4Service maglev(int serviceId, int distinctBackends) {
        return new Lb4Service(serviceId, distinctBackends, DatapathConstants.LB_F_MAGLEV, 0);
    }

    private static int[] toArray(List<Integer> table) {
        return table.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Slot i holds backend 1..4, each backend in a quarter of the slots, in a shuffled order. */
    private static List<Integer> balancedTable() {
        List<Integer> table = new ArrayList<>();
        for (int slot = 0; slot < TABLE_SIZE; slot++) {
            table.add(1 + slot % 4);
        }
        Collections.shuffle(table, new Random(7));
        return table;
    }

    /** {@code count} TCP SYNs to the VIP from random clients and ports, the same on every run. */
    private static List<byte[]> randomFlows(int count) {
        Random random = new Random(11);
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String client = "10.9." + random.nextInt(256) + "." + (1 + random.nextInt(254));
            packets.add(TestPacket.tcpSyn(client, 1024 + random.nextInt(64000), VIP, 80).toBytes());
        }
        return packets;
    }

    /** The backend each packet's new flow goes to; conntrack is emptied first, so every flow is new. */
    private static List<String> backendsOf(BpfProgram fromPod, ConntrackMaps flows, List<byte[]> packets) {
        flows.conntrack().removeAll(flows.conntrack().keys());
        List<String> backends = new ArrayList<>();
        for (byte[] packet : packets) {
            TestPacket out = TestPacket.parseVerified(fromPod.testRun(packet, 1).packetOut());
            backends.add(TestPacket.ipText(out.destination()));
        }
        return backends;
    }

    @Test
    void anUnconnectedUdpSocketKeepsItsBackendForEveryDatagramAndRepliesComeFromTheServiceAddress() {
        try (ServiceNode net = new ServiceNode()) {
            PyTraffic.server(net.web, "udp:5301:dns1", "udp:5302:dns2", "udp:5303:dns3", "udp:5304:dns4");
            for (int id = 1; id <= 4; id++) {
                net.backend(id, ServiceNode.WEB_POD, 5300 + id, IpProtocol.UDP, true);
            }
            String vip = "198.18.100.40";
            Lb4Key frontend = ServiceNode.key(vip, 53, IpProtocol.UDP, LbScope.INTERNAL);
            net.frontend(frontend, 41, DatapathConstants.LB_F_MAGLEV, 0, balancedTable());

            List<String> lines = PyTraffic.client(net.node.inCgroup(net.cgroup), Duration.ofSeconds(60), "udpsockets", vip,
                    53, 20, 5);

            assertThat(lines).hasSize(100).allSatisfy(line -> assertThat(line).endsWith(" from " + vip + ":53"));
            Map<String, Set<String>> backendsBySocket = new HashMap<>();
            for (String line : lines) {
                String[] words = line.split(" ");
                backendsBySocket.computeIfAbsent(words[0], s -> new HashSet<>()).add(words[1]);
            }
            assertThat(backendsBySocket.values()).as("each socket on one backend").allSatisfy(set -> assertThat(set).hasSize(1));
            assertThat(backendsBySocket.values().stream().flatMap(Set::stream).distinct().count())
                    .as("sockets spread over backends").isGreaterThan(1);

            net.frontend(frontend, 41, 0, 0, List.of(1, 2, 3, 4));
            List<String> random = PyTraffic.client(net.node.inCgroup(net.cgroup), Duration.ofSeconds(30), "udpsockets", vip,
                    53, 1, 20);
            assertThat(random.stream().map(line -> line.split(" ")[1]).distinct().count())
                    .as("random balancing spreads one socket's datagrams").isGreaterThan(1);
        }
    }
}
