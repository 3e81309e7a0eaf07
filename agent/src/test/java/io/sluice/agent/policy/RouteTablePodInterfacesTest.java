package io.sluice.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.Ipv4;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pod's veth from the routing table's text: the longest direct route through a pod interface wins. */
class RouteTablePodInterfacesTest {
    // As /proc/net/route prints it on x86-64: 198.18.2.0/24 dev lxc-a, 198.18.3.7/32 dev lxc-b,
    // 198.18.0.0/16 via 198.18.0.1 dev lxc-c (not direct), 10.0.0.0/8 dev eth0 (not a pod interface).
    private static final List<String> TABLE = List.of(
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
            "lxc-a\t000212C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            "lxc-b\t070312C6\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0",
            "lxc-c\t000012C6\t010012C6\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0",
            "lxc-d\t000312C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0");

    @Test
    void theLongestDirectRouteThroughAPodInterfaceNamesTheVeth() {
        List<RouteTablePodInterfaces.Route> routes = RouteTablePodInterfaces.parse(TABLE, "lxc");

        assertThat(routes).extracting(RouteTablePodInterfaces.Route::ifname).containsExactly("lxc-a", "lxc-b", "lxc-d");
        assertThat(RouteTablePodInterfaces.interfaceFor(routes, Ipv4.parse("198.18.2.2"))).isEqualTo("lxc-a");
        assertThat(RouteTablePodInterfaces.interfaceFor(routes, Ipv4.parse("198.18.3.7"))).as("/32 beats /24").isEqualTo("lxc-b");
        assertThat(RouteTablePodInterfaces.interfaceFor(routes, Ipv4.parse("198.18.3.8"))).isEqualTo("lxc-d");
        assertThat(RouteTablePodInterfaces.interfaceFor(routes, Ipv4.parse("198.18.9.1"))).as("only via a gateway").isNull();
        assertThat(RouteTablePodInterfaces.interfaceFor(routes, Ipv4.parse("10.1.2.3"))).as("not a pod interface").isNull();
    }
}
