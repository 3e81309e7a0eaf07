package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.DatapathConstants;
import io.sluice.maps.DatapathCounter;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4AffinityKey;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.LbScope;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sessionAffinity: ClientIP} with a 5 s timeout, with real connections: every connection of a client goes
 * to one backend while the client keeps connecting within the timeout, and after a pause longer than the timeout
 * the client is balanced again. The socket path knows the client by its network namespace (the node, here), the
 * per-packet path by its source address (a pod).
 */
@KernelTest
class SessionAffinityTest extends SharedServiceNode {
    private static final String VIP = "198.18.100.30";
    // Long enough that the gap between two client processes (a Python start, 1.3 s at load 8) never lets it lapse.
    private static final int TIMEOUT_SECONDS = 5;
    private static final List<Integer> BACKENDS = List.of(1, 2, 3, 4);

    private Lb4Key frontend;

    @BeforeAll
    void fourBackends() {
        PyTraffic.server(net.web, "tcp:8081:web1", "tcp:8082:web2", "tcp:8083:web3", "tcp:8084:web4");
        for (int id : BACKENDS) {
            net.backend(id, ServiceNode.WEB_POD, 8080 + id, IpProtocol.TCP, true);
        }
        frontend = ServiceNode.key(VIP, 80, IpProtocol.TCP, LbScope.INTERNAL);
    }

    @BeforeEach
    void aFrontendWithAffinityAndNoClientYet() {
        net.frontend(frontend, 30, DatapathConstants.LB_F_AFFINITY, TIMEOUT_SECONDS, BACKENDS);
    }

    @Test
    void theNodeStaysOnOneBackendUntilTheTimeoutThroughTheSocketPath() {
        stickyUntilTheTimeout(net.node.inCgroup(net.cgroup));

        List<Lb4AffinityKey> clients = new ArrayList<>(net.flows.affinityEntries().keySet());
        assertThat(clients).as("one client, known by its network namespace").singleElement()
                .satisfies(key -> assertThat(key.netnsCookie()).isNotZero());
    }

    @Test
    void aPodStaysOnOneBackendUntilTheTimeoutThroughThePerPacketPath() {
        stickyUntilTheTimeout(net.client);

        assertThat(net.flows.affinityEntries().keySet()).as("one client, known by its address")
                .containsExactly(Lb4AffinityKey.ofAddress(Ipv4.parse(ServiceNode.CLIENT_POD), 30));
    }

    private void stickyUntilTheTimeout(Netns client) {
        long hits = net.count(DatapathCounter.AFFINITY_HIT);
        String first = onlyBackend(connect(client, 20));
        assertThat(onlyBackend(connect(client, 10))).as("within the timeout").isEqualTo(first);
        assertThat(net.count(DatapathCounter.AFFINITY_HIT) - hits).isEqualTo(29);

        // Narrow the slots to the other backends, so a new pick can be told from the affinity entry: while the
        // entry is fresh (each connection refreshed it) the client stays where it was.
        int stuck = Integer.parseInt(first.substring("web".length()));
        List<Integer> others = BACKENDS.stream().filter(id -> id != stuck).toList();
        net.frontend(frontend, 30, DatapathConstants.LB_F_AFFINITY, TIMEOUT_SECONDS, others);
        assertThat(onlyBackend(connect(client, 5))).as("still within the timeout").isEqualTo(first);

        PyTraffic.sleep(Duration.ofMillis(TIMEOUT_SECONDS * 1000L + 500));
        String after = onlyBackend(connect(client, 10));
        assertThat(after).as("after a pause longer than the timeout: picked again, and kept")
                .isNotEqualTo(first).isIn("web1", "web2", "web3", "web4");
    }

    private List<String> connect(Netns client, int connections) {
        return PyTraffic.client(client, Duration.ofSeconds(30), "tcp", VIP, 80, connections);
    }

    private static String onlyBackend(List<String> answers) {
        Set<String> backends = answers.stream().map(a -> a.split(" ")[0]).collect(Collectors.toSet());
        assertThat(backends).as("backends of %s", answers).hasSize(1);
        return backends.iterator().next();
    }
}
