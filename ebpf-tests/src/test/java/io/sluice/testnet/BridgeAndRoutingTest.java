package io.sluice.testnet;

import io.sluice.testnet.RequestOutcome.Answered;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@KernelTest
class BridgeAndRoutingTest {

    @Test
    void threeNamespacesOnABridgeInAFourthReachEachOther() {
        try (var topo = new Topology()) {
            Netns sw = topo.namespace("switch");
            List<Netns> hosts = List.of(topo.namespace("h1"), topo.namespace("h2"), topo.namespace("h3"));
            for (int i = 0; i < hosts.size(); i++) {
                topo.veth(hosts.get(i), "eth0", sw, "port" + (i + 1));
                topo.address(hosts.get(i), "eth0", "198.18.1." + (i + 1) + "/24");
                Traffic.tcpListener(hosts.get(i), 7000, "h" + (i + 1));
            }
            topo.bridge(sw, "br0", "port1", "port2", "port3");

            for (int from = 0; from < hosts.size(); from++) {
                for (int to = 0; to < hosts.size(); to++) {
                    if (from != to) {
                        assertThat(Traffic.tcpRequest(hosts.get(from), "198.18.1." + (to + 1), 7000, Traffic.DEFAULT_TIMEOUT))
                                .as("h%d -> h%d", from + 1, to + 1)
                                .isEqualTo(new Answered("h" + (to + 1)));
                    }
                }
            }
        }
    }

    @Test
    void nodeNamespaceRoutesBetweenPodsOnceForwardingIsOnInsideIt() throws Exception {
        Path rootForwarding = Path.of("/proc/sys/net/ipv4/ip_forward");
        String rootBefore = Files.readString(rootForwarding);
        try (var topo = new Topology()) {
            Netns node = topo.namespace("node");
            Netns podA = topo.namespace("pod-a");
            Netns podB = topo.namespace("pod-b");
            topo.veth(podA, "eth0", node, "veth-a");
            topo.veth(podB, "eth0", node, "veth-b");
            topo.address(node, "veth-a", "198.18.10.1/24");
            topo.address(node, "veth-b", "198.18.20.1/24");
            topo.address(podA, "eth0", "198.18.10.2/24");
            topo.address(podB, "eth0", "198.18.20.2/24");
            topo.routeVia(podA, "default", "198.18.10.1");
            topo.routeVia(podB, "198.18.10.0/24", "198.18.20.1");
            topo.sysctl(node, "net.ipv4.ip_forward", "0");
            Traffic.tcpListener(podB, 8080, "pod-b");

            assertThat(Traffic.tcpRequest(podA, "198.18.20.2", 8080, Duration.ofSeconds(1)))
                    .as("forwarding off in the node: the SYN is dropped there")
                    .isInstanceOf(RequestOutcome.TimedOut.class);

            topo.sysctl(node, "net.ipv4.ip_forward", "1");

            assertThat(Traffic.tcpRequest(podA, "198.18.20.2", 8080, Traffic.DEFAULT_TIMEOUT))
                    .isEqualTo(new Answered("pod-b"));
            assertThat(Files.readString(rootForwarding)).as("root namespace ip_forward").isEqualTo(rootBefore);
        }
    }
}
