package io.sluice.testnet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@KernelTest
class SafetyRulesTest {
    private Topology topo;
    private Netns pod;
    private Netns node;

    @BeforeEach
    void podAndNode() {
        topo = new Topology();
        pod = topo.namespace("pod");
        node = topo.namespace("node");
        topo.veth(pod, "eth0", node, "veth0");
        topo.address(pod, "eth0", "198.18.0.2/24");
        topo.address(node, "veth0", "198.18.0.1/24");
    }

    @AfterEach
    void tearDown() {
        topo.close();
    }

    private String routes(Netns ns) {
        return ns.exec("ip", "route", "show").orThrow().stdout();
    }

    @Test
    void routeViaAGatewayOutsideTheTopologyIsRefused() {
        assertThatThrownBy(() -> topo.routeVia(pod, "default", "198.18.0.77"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gateway 198.18.0.77 is not an address of this topology");
        assertThatThrownBy(() -> topo.routeVia(pod, "0.0.0.0/0", "192.0.2.1"))
                .hasMessageContaining("gateway 192.0.2.1 is not an address of this topology");
        assertThatThrownBy(() -> topo.routeDev(pod, "default", "eth9"))
                .hasMessageContaining("'eth9' is not an interface of this topology");
        assertThat(routes(pod)).doesNotContain("default");
    }

    @Test
    void defaultRouteViaANamespaceOfTheTopologyIsAccepted() {
        topo.routeVia(pod, "default", "198.18.0.1");

        assertThat(routes(pod)).contains("default via 198.18.0.1 dev eth0");
    }

    @Test
    void addressesOutsideTheTestRangesAreRefused() {
        assertThatThrownBy(() -> topo.address(pod, "eth0", "10.0.0.5/24"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Topology.address of eth0 in pod")
                .hasMessageContaining("outside the test ranges");
        assertThatThrownBy(() -> topo.address(pod, "eth0", "198.18.0.2/24"))
                .hasMessageContaining("already assigned");
        assertThatThrownBy(() -> topo.address(pod, "eth0", "198.18.0.3"))
                .hasMessageContaining("address/prefix-length");
        assertThatThrownBy(() -> topo.neighbor(pod, "eth0", "192.0.2.1", "02:00:00:00:00:01"))
                .hasMessageContaining("outside the test ranges");
    }

    @Test
    void interfaceNamesAreCheckedBeforeAnythingIsCreated() {
        assertThatThrownBy(() -> topo.veth(pod, "a-name-of-16-chr", node, "peer"))
                .hasMessageContaining("interface name 'a-name-of-16-chr'")
                .hasMessageContaining("1 to 15 characters");
        assertThatThrownBy(() -> topo.veth(pod, "eth0", node, "peer"))
                .hasMessageContaining("interface eth0 already exists in pod");
        assertThatThrownBy(() -> topo.bridge(node, "br0", "nope"))
                .hasMessageContaining("'nope' is not an interface of this topology");
        assertThat(node.exec("ip", "-o", "link").orThrow().stdout()).doesNotContain("peer").doesNotContain("br0");
    }

    @Test
    void onlyNetworkSysctlsAreWrittenAndOnlyInsideTheNamespace() {
        assertThatThrownBy(() -> topo.sysctl(node, "kernel.hostname", "x"))
                .hasMessageContaining("must be a network sysctl");
        assertThatThrownBy(() -> topo.sysctl(node, "net.ipv4.ip_forward", "1; reboot"))
                .hasMessageContaining("value '1; reboot'");

        topo.sysctl(node, "net.ipv4.conf.all.rp_filter", "2");

        assertThat(node.exec("sysctl", "-n", "net.ipv4.conf.all.rp_filter").orThrow().stdout().strip()).isEqualTo("2");
    }

    @Test
    void objectsOfAnotherTopologyAreRefused() {
        try (var other = new Topology()) {
            Netns foreign = other.namespace("foreign");
            assertThatThrownBy(() -> topo.veth(pod, "eth1", foreign, "eth1"))
                    .hasMessageContaining("does not belong to this topology");
            Cgroup foreignCgroup = other.cgroup("foreign");
            assertThatThrownBy(() -> pod.inCgroup(foreignCgroup))
                    .hasMessageContaining("does not belong to this topology");
        }
    }

    @Test
    void aJvmIsNotStartedUnderIpNetnsExec() {
        assertThatThrownBy(() -> pod.spawn("/usr/bin/java", "-version"))
                .hasMessageContaining("nsenter --net=" + pod.path());
    }
}
