package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loader.BpfMap;
import io.sluice.loader.MapType;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4AffinityKey;
import io.sluice.maps.Lb4AffinityValue;
import io.sluice.maps.StaleFlowSweep;
import io.sluice.testnet.KernelTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The flow sweep on real maps (created here, shaped like {@code ct4_entries} and {@code lb4_affinity}, attached to
 * nothing): after the passes it reports, exactly the flows and affinity entries of the backends that left a service
 * or went are gone, a removed backend is reported only after a whole pass that started after its removal, and a
 * backend or pair that came back keeps its flows.
 */
@KernelTest
class StaleFlowSweepTest {
    private static final int SERVICES = 4;
    private static final int BACKENDS = 8;

    /** One map pair with {@code flows} random flows and affinity entries; closed by the caller. */
    private static final class FlowMaps implements AutoCloseable {
        final BpfMap conntrackMap = BpfMap.create(MapType.HASH, "ct4_test", (int) Ct4Key.CODEC.layout().byteSize(),
                (int) Ct4Entry.CODEC.layout().byteSize(), 65_536, 0);
        final BpfMap affinityMap = BpfMap.create(MapType.HASH, "aff_test", (int) Lb4AffinityKey.CODEC.layout().byteSize(),
                (int) Lb4AffinityValue.CODEC.layout().byteSize(), 65_536, 0);
        final ConntrackMaps maps = new ConntrackMaps(conntrackMap, affinityMap);
        final Map<Ct4Key, Ct4Entry> flows = new HashMap<>();
        final Map<Lb4AffinityKey, Lb4AffinityValue> clients = new HashMap<>();

        FlowMaps(Random random, int count) {
            for (int i = 0; i < count; i++) {
                int service = 1 + random.nextInt(SERVICES);
                int backend = 1 + random.nextInt(BACKENDS);
                flows.put(new Ct4Key(new Ipv4(0x0a000000 + i), new Ipv4(0x0b000000 + backend), 10_000 + i, 8080,
                        IpProtocol.TCP), new Ct4Entry(new Ipv4(0x0b000000 + backend), 8080, 0, backend, service));
                clients.put(Lb4AffinityKey.ofAddress(new Ipv4(0x0a000000 + i), 1 + random.nextInt(SERVICES)),
                        new Lb4AffinityValue(1, 1 + random.nextInt(BACKENDS)));
            }
            maps.conntrack().putAll(flows);
            maps.affinity().putAll(clients);
        }

        @Override
        public void close() {
            maps.close();
        }
    }

    @Test
    void afterItsPassesOnlyTheFlowsOfBackendsThatLeftOrWentAreGoneAndRemovedBackendsAreReported() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        for (int round = 0; round < 20; round++) {
            int count = random.nextInt(2_000);
            try (FlowMaps net = new FlowMaps(random, count); StaleFlowSweep sweep = new StaleFlowSweep(net.maps)) {
                Set<Integer> removed = new HashSet<>();
                Set<List<Integer>> left = new HashSet<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    int backend = 1 + random.nextInt(BACKENDS);
                    removed.add(backend);
                    sweep.backendRemoved(backend);
                }
                for (int i = random.nextInt(4); i > 0; i--) {
                    List<Integer> pair = List.of(1 + random.nextInt(SERVICES), 1 + random.nextInt(BACKENDS));
                    left.add(pair);
                    sweep.serviceBackendLeft(pair.get(0), pair.get(1));
                }
                // Some come back before the sweep is done: their flows stay and a backend that came back is not reported.
                for (Integer back : new ArrayList<>(removed)) {
                    if (random.nextInt(4) == 0) {
                        removed.remove(back);
                        sweep.backendBack(back);
                    }
                }
                for (List<Integer> back : new ArrayList<>(left)) {
                    if (random.nextInt(4) == 0) {
                        left.remove(back);
                        sweep.serviceBackendBack(back.get(0), back.get(1));
                    }
                }
                List<Integer> reported = new ArrayList<>();
                int steps = 0;
                while (sweep.pending()) {
                    sweep.step(reported::add);
                    assertThat(++steps).as("steps (seed %d)", seed).isLessThan(100);
                }

                assertThat(reported).as("reported backends (seed %d)", seed).containsExactlyInAnyOrderElementsOf(removed);
                Map<Ct4Key, Ct4Entry> keptFlows = new HashMap<>(net.flows);
                keptFlows.values().removeIf(f -> removed.contains(f.backendId())
                        || left.contains(List.of(f.serviceId(), f.backendId())));
                Map<Lb4AffinityKey, Lb4AffinityValue> keptClients = new HashMap<>(net.clients);
                keptClients.entrySet().removeIf(e -> removed.contains(e.getValue().backendId())
                        || left.contains(List.of(e.getKey().serviceId(), e.getValue().backendId())));
                assertThat(net.maps.conntrackEntries()).as("flows kept (seed %d)", seed).isEqualTo(keptFlows);
                assertThat(net.maps.affinityEntries()).as("affinity kept (seed %d)", seed).isEqualTo(keptClients);
                assertThat(sweep.removed()).isEqualTo(net.flows.size() - keptFlows.size()
                        + net.clients.size() - keptClients.size());
            }
        }
    }

    @Test
    void aBackendRemovedDuringAPassIsSweptAndReportedByTheNextWholePass() {
        try (FlowMaps net = new FlowMaps(new Random(7), 1_500); StaleFlowSweep sweep = new StaleFlowSweep(net.maps)) {
            sweep.backendRemoved(1);
            List<Integer> reported = new ArrayList<>();
            sweep.step(reported::add); // the first pass has begun
            sweep.backendRemoved(2);
            while (!reported.contains(1)) {
                sweep.step(reported::add);
            }
            assertThat(reported).containsExactly(1);
            assertThat(sweep.pending()).as("a second pass for backend 2").isTrue();
            while (sweep.pending()) {
                sweep.step(reported::add);
            }

            assertThat(reported).containsExactly(1, 2);
            assertThat(net.maps.conntrackEntries().values()).extracting(Ct4Entry::backendId).doesNotContain(1, 2)
                    .hasSize((int) net.flows.values().stream().filter(f -> f.backendId() > 2).count());
            assertThat(net.maps.affinityEntries().values()).extracting(Lb4AffinityValue::backendId).doesNotContain(1, 2);
        }
    }

    @Test
    void nothingHandedOverMeansNoPassAndNoSyscall() {
        try (FlowMaps net = new FlowMaps(new Random(3), 10); StaleFlowSweep sweep = new StaleFlowSweep(net.maps)) {
            assertThat(sweep.pending()).isFalse();
            assertThat(sweep.step(id -> { })).isZero();
            assertThat(net.maps.conntrackEntries()).hasSize(net.flows.size());
        }
    }
}
