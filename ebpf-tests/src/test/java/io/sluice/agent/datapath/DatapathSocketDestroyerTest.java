package io.sluice.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.Ipv4;
import io.sluice.maps.SockDestroyKey;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Topology;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stale-socket iterator is not part of the data path's start ({@link Datapath#start} leaves its load to a thread
 * at the lowest priority): the writer's first destroy works whether or not that thread has loaded it yet, and a data
 * path closed before the load never loads it afterwards. (That the iterator destroys the right sockets:
 * {@code StaleUdpSocketTest}; in the agent process: {@code AgentStaleUdpTest}.)
 */
@KernelTest
class DatapathSocketDestroyerTest {
    /** No interface of the test's namespace has this prefix: the pod programs are attached nowhere. */
    private static final String NO_POD_INTERFACES = "sluice-none-";
    private static final Map<SockDestroyKey, Integer> REMOVED = Map.of(
            SockDestroyKey.ofIpv4(Ipv4.parse("198.18.200.53"), 53, Ipv4.parse("198.18.3.2"), 5301), 1);

    @Test
    void theFirstDestroyRunsTheIteratorWhetherOrNotTheBackgroundLoadCameFirst() throws Exception {
        try (Topology topology = new Topology()) {
            Netns node = topology.namespace("node");
            Cgroup cgroup = topology.cgroup("node");
            Path pins = topology.bpfDirectory("agent");
            try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
                Datapath datapath = ns.call(() -> Datapath.start(pins, cgroup.path(), NO_POD_INTERFACES, List.of()));
                try {
                    Map<Integer, Integer> destroyed = ns.call(() -> datapath.staleSocketDestroyer().destroy(REMOVED));

                    assertThat(destroyed).as("no socket was sent to that backend").isEmpty();
                    assertThat(datapath.socketDestroyerLoaded()).isTrue();
                } finally {
                    datapath.close();
                }
                assertThat(datapath.socketDestroyerLoaded()).as("closed with the data path").isFalse();
            }
        }
    }

    @Test
    void aDataPathClosedBeforeTheLoadNeverLoadsTheIterator() throws Exception {
        try (Topology topology = new Topology()) {
            Netns node = topology.namespace("node");
            Cgroup cgroup = topology.cgroup("node");
            Path pins = topology.bpfDirectory("agent");
            try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
                Datapath datapath = ns.call(() -> Datapath.start(pins, cgroup.path(), NO_POD_INTERFACES, List.of()));
                datapath.close();

                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.getName().equals(Datapath.SOCKET_DESTROYER_LOAD_THREAD)) {
                        t.join();
                    }
                }
                Map<Integer, Integer> destroyed = ns.call(() -> datapath.staleSocketDestroyer().destroy(REMOVED));

                assertThat(destroyed).isEmpty();
                assertThat(datapath.socketDestroyerLoaded()).isFalse();
            }
        }
    }
}
