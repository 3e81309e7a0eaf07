package io.sluice.servicelb;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeContextTest {

    private static final List<String> ADDRESSES = List.of("192.168.1.10", "10.0.0.10", "fd00:1::10", "fd00:2::10");

    @Test
    void withoutPrefixesNodePortsListenOnEveryNodeAddressOfTheFamily() {
        NodeContext node = NodeContext.parse("n1", ADDRESSES, List.of());

        assertThat(node.nodePortAddresses(IpFamily.IPV4)).map(IpAddress::toString)
                .containsExactly("10.0.0.10", "192.168.1.10");
        assertThat(node.nodePortAddresses(IpFamily.IPV6)).map(IpAddress::toString)
                .containsExactly("fd00:1::10", "fd00:2::10");
    }

    @Test
    void prefixesFilterTheirFamilyAndLeaveAFamilyWithoutPrefixesOpen() {
        NodeContext node = NodeContext.parse("n1", ADDRESSES, List.of("192.168.0.0/16"));

        assertThat(node.nodePortAddresses(IpFamily.IPV4)).map(IpAddress::toString).containsExactly("192.168.1.10");
        assertThat(node.nodePortAddresses(IpFamily.IPV6)).hasSize(2);
    }

    @Test
    void aPrefixMatchingNoAddressLeavesNoNodePortAddress() {
        NodeContext node = NodeContext.parse("n1", ADDRESSES, List.of("172.16.0.0/12", "fd00:2::/64"));

        assertThat(node.nodePortAddresses(IpFamily.IPV4)).isEmpty();
        assertThat(node.nodePortAddresses(IpFamily.IPV6)).map(IpAddress::toString).containsExactly("fd00:2::10");
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertThatThrownBy(() -> NodeContext.parse("n1", List.of("10.0.0.1", "10.0.0.300"), List.of()))
                .hasMessageStartingWith("nodeAddresses[1]:");
        assertThatThrownBy(() -> NodeContext.parse("n1", List.of(), List.of("10.0.0.0/40")))
                .hasMessageStartingWith("nodePortCidrs[0]:");
        assertThatThrownBy(() -> NodeContext.parse(" ", List.of(), List.of())).hasMessageStartingWith("nodeName:");
    }

    @Test
    void localityIsTheNodeName() {
        NodeContext node = NodeContext.parse("n1", List.of(), List.of());

        assertThat(node.isLocal("n1")).isTrue();
        assertThat(node.isLocal("n2")).isFalse();
        assertThat(node.isLocal("")).isFalse();
    }
}
