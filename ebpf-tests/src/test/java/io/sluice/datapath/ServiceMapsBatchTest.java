package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.FrontendWrite;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.MaglevTables;
import io.sluice.maps.ServiceMaps;
import io.sluice.testnet.KernelRequirements;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * The batch writes of {@link ServiceMaps}, read back from the kernel: backends written by id (an id listed twice gets
 * its last backend) and many frontends in one {@link ServiceMaps#writeFrontends} call, slot frontends of any size
 * (none included) between Maglev ones, each with exactly its slots in order.
 */
@Tag("kernel")
class ServiceMapsBatchTest {
    private static final int MAGLEV_SIZE = 251;

    /** One frontend of a batch: its backend ids (slots in order; for Maglev, a table over them), Maglev or not. */
    record Frontend(List<Integer> backendIds, boolean maglev) {
    }

    private static BpfObject pod;

    @BeforeContainer
    static void loadMaps() {
        if (!KernelRequirements.available()) {
            return;
        }
        pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName());
        pod.load();
    }

    @AfterContainer
    static void closeMaps() {
        if (pod != null) {
            pod.close();
        }
    }

    @BeforeTry
    void emptyMaps() {
        if (pod == null) {
            return;
        }
        try (ServiceMaps maps = ServiceMaps.of(pod)) {
            maps.services().forEach((key, service) -> maps.removeService(key, service.serviceId(), service.backendCount()));
            maps.maglevServiceIds().forEach(maps::removeMaglevTable);
            maps.removeBackends(maps.backends().keySet());
        }
    }

    @Provide
    Arbitrary<List<Integer>> backendIds() {
        return Arbitraries.integers().between(1, 40).list().ofMaxSize(30);
    }

    @Provide
    Arbitrary<List<Frontend>> frontends() {
        return Combinators.combine(Arbitraries.integers().between(1, 40).list().ofMaxSize(12), Arbitraries.of(false, false, true))
                .as(Frontend::new).list().ofMaxSize(20);
    }

    @Property(tries = 60)
    void backendsWrittenByIdReadBackWithTheLastBackendOfEachId(@ForAll("backendIds") List<Integer> ids) {
        Assume.that(pod != null);
        List<Lb4Backend> backends = new ArrayList<>();
        Map<Integer, Lb4Backend> expected = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            Lb4Backend backend = new Lb4Backend(new Ipv4(0x0a620000 + i), 8000 + ids.get(i), IpProtocol.TCP, i % 2);
            backends.add(backend);
            expected.put(ids.get(i), backend);
        }
        try (ServiceMaps maps = ServiceMaps.of(pod)) {
            maps.putBackends(ids.stream().mapToInt(Integer::intValue).toArray(), backends);

            assertThat(maps.backends()).isEqualTo(expected);
        }
    }

    @Property(tries = 60)
    void frontendsWrittenInOneBatchEachHaveExactlyTheirSlots(@ForAll("frontends") List<Frontend> frontends) {
        Assume.that(pod != null);
        try (ServiceMaps maps = ServiceMaps.of(pod)) {
            Map<Lb4Key, Lb4Service> entries = new LinkedHashMap<>();
            Map<Integer, int[]> slotsById = new HashMap<>();
            Map<Integer, int[]> tablesById = new HashMap<>();
            List<FrontendWrite<Lb4Key>> writes = new ArrayList<>();
            List<MaglevTables.Table> opened = new ArrayList<>();
            try {
                for (int f = 0; f < frontends.size(); f++) {
                    Frontend frontend = frontends.get(f);
                    int serviceId = 100 + f;
                    Lb4Key key = new Lb4Key(new Ipv4(0x0a610000 + f), 80, IpProtocol.TCP, LbScope.INTERNAL);
                    int[] ids = frontend.backendIds().stream().mapToInt(Integer::intValue).toArray();
                    if (frontend.maglev() && ids.length > 0) {
                        int[] table = new int[MAGLEV_SIZE];
                        for (int slot = 0; slot < table.length; slot++) {
                            table[slot] = ids[slot % ids.length];
                        }
                        Lb4Service service = new Lb4Service(serviceId, (int) Arrays.stream(ids).distinct().count(),
                                DatapathConstants.LB_F_MAGLEV, 0);
                        MaglevTables.Table filled = maps.createMaglevTable(serviceId, table);
                        opened.add(filled);
                        writes.add(FrontendWrite.maglev(key, service, filled, 0));
                        entries.put(key, service);
                        tablesById.put(serviceId, table);
                    } else {
                        Lb4Service service = new Lb4Service(serviceId, ids.length, 0, 0);
                        writes.add(FrontendWrite.slots(key, service, ids, 0, false));
                        entries.put(key, service);
                        slotsById.put(serviceId, ids);
                    }
                }
                maps.writeFrontends(writes);
            } finally {
                opened.forEach(MaglevTables.Table::close);
            }

            assertThat(maps.services()).isEqualTo(entries);
            slotsById.forEach((serviceId, ids) -> assertThat(maps.slotsOf(serviceId, ids.length))
                    .as("slots of service id " + serviceId).containsExactly(Arrays.stream(ids).boxed().toArray(Integer[]::new)));
            tablesById.forEach((serviceId, table) -> assertThat(maps.maglevTable(serviceId))
                    .as("table of service id " + serviceId).hasValueSatisfying(t -> assertThat(t).containsExactly(table)));
            slotsById.forEach((serviceId, ids) -> assertThat(maps.slotsOf(serviceId, ids.length + 1).getLast())
                    .as("the slot after the last of service id " + serviceId + " (0: none)").isZero());
            tablesById.keySet().forEach(serviceId -> assertThat(maps.slotsOf(serviceId, 1))
                    .as("slots of Maglev service id " + serviceId + " (0: none)").containsExactly(0));
        }
    }
}
