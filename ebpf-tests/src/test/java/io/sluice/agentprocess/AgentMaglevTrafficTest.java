package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loader.BpfMap;
import io.sluice.maps.MaglevTables;
import io.sluice.maps.MapName;
import io.sluice.testnet.KernelTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Maglev Service ({@code sluice.io/lb-algorithm: maglev}) through the agent as users run it: the launcher's agent
 * process writes each frontend's table into the pinned {@code lb_maglev} (shared by the socket and the packet
 * programs), real connections from a pod (per-packet path) and from the node (socket path) reach both backends
 * through it, an EndpointSlice change replaces the tables, and the tables go with the Service.
 */
@KernelTest
class AgentMaglevTrafficTest {

    @Test
    void theAgentServesAMaglevServiceFromItsTablesAndRemovesThemWithTheService() throws Exception {
        try (AgentNode net = new AgentNode()) {
            net.startNameListeners();
            String maglev = AgentServiceTrafficTest.service().replace("  namespace: default\n",
                    "  namespace: default\n  annotations: {sluice.io/lb-algorithm: maglev}\n");
            net.manifest("web.yaml", maglev + AgentServiceTrafficTest.slice(AgentNode.BACKEND_A, AgentNode.BACKEND_B));
            net.startAgent();

            Map<Integer, Integer> tables = tablesOf(net);
            assertThat(tables).as("a table per frontend (ports 80 and 90)").hasSize(2);
            try (BpfMap outer = BpfMap.openPinned(net.pins.resolve("maps").resolve(MapName.LB_MAGLEV.cName()));
                 MaglevTables pinned = MaglevTables.of(outer)) {
                for (int serviceId : tables.keySet()) {
                    assertThat(pinned.table(serviceId)).hasValueSatisfying(t -> assertThat(t).hasSize(16381));
                }
            }
            assertThat(AgentServiceTrafficTest.requests(net, 30, false)).as("answers to the client pod")
                    .containsOnlyKeys("backend-a", "backend-b");
            assertThat(AgentServiceTrafficTest.requests(net, 30, true)).as("answers to the node's own processes")
                    .containsOnlyKeys("backend-a", "backend-b");

            net.manifest("web.yaml", maglev + AgentServiceTrafficTest.slice(AgentNode.BACKEND_A));
            awaitTablesOtherThan(net, tables);
            assertThat(AgentServiceTrafficTest.requests(net, 20, false)).as("after backend-b left the slice")
                    .containsOnlyKeys("backend-a");

            net.deleteManifest("web.yaml");
            for (int attempt = 0; attempt < 50 && !tablesOf(net).isEmpty(); attempt++) {
                AgentNode.awaitQuietly(Duration.ofMillis(200));
            }
            assertThat(tablesOf(net)).as("tables after the Service was deleted").isEmpty();
        }
    }

    /** Service id to kernel map id of each table in the agent's pinned lb_maglev. */
    private static Map<Integer, Integer> tablesOf(AgentNode net) {
        try (BpfMap outer = BpfMap.openPinned(net.pins.resolve("maps").resolve(MapName.LB_MAGLEV.cName()));
             MaglevTables pinned = MaglevTables.of(outer)) {
            return pinned.tableIds();
        }
    }

    private static void awaitTablesOtherThan(AgentNode net, Map<Integer, Integer> before) {
        for (int attempt = 0; attempt < 50; attempt++) {
            Map<Integer, Integer> now = tablesOf(net);
            if (now.size() == before.size() && now.values().stream().noneMatch(before::containsValue)) {
                return;
            }
            AgentNode.awaitQuietly(Duration.ofMillis(200));
        }
        throw new AssertionError("the agent did not replace the tables " + before + " within 10 s");
    }
}
