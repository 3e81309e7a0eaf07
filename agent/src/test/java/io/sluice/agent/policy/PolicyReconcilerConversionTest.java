package io.sluice.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyDirection;
import io.sluice.policy.Direction;
import io.sluice.policy.PolicyEntry;
import io.sluice.policy.PortBlock;
import io.sluice.policy.PortRanges;
import io.sluice.policy.Protocol;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The compiled entries become kernel keys that cover exactly the ports the entries cover; pods give their IPv4 address. */
class PolicyReconcilerConversionTest {

    @Property(tries = 300)
    void aKeyCoversThePortsItsEntryCovers(@ForAll @IntRange(min = 1, max = 65535) int first,
                                          @ForAll @IntRange(min = 0, max = 2000) int span,
                                          @ForAll @IntRange(min = 0, max = 65535) int probe) {
        int last = Math.min(65535, first + span);
        for (PortBlock block : PortRanges.split(first, last)) {
            PolicyEntry entry = PolicyEntry.of(9, Direction.EGRESS, 300, Protocol.UDP, block);
            Policy4Key key = PolicyReconciler.keyOf(entry);
            assertThat(key.covers(9, PolicyDirection.EGRESS, 300, 17, probe)).as("block %s, port %s", block, probe)
                    .isEqualTo(entry.covers(17, probe));
            assertThat(key.covers(9, PolicyDirection.EGRESS, 300, 6, probe)).isFalse();
        }
    }

    @Test
    void anEntryForEveryProtocolStopsAtTheIdentity() {
        Policy4Key key = PolicyReconciler.keyOf(PolicyEntry.anyPort(4, Direction.INGRESS, 1));
        assertThat(key).isEqualTo(Policy4Key.anyProtocol(4, PolicyDirection.INGRESS, 1));
        assertThat(key.covers(4, PolicyDirection.INGRESS, 1, 1, 0)).as("ICMP too").isTrue();
    }

    @Test
    void aPodsAddressIsItsFirstIpv4() {
        var dualStack = new PodBuilder().withNewStatus().addNewPodIP("fd00::5").addNewPodIP("10.0.0.5")
                .withPodIP("fd00::5").endStatus().build();
        var v6only = new PodBuilder().withNewStatus().addNewPodIP("fd00::6").endStatus().build();
        var pending = new PodBuilder().withNewStatus().withPhase("Pending").endStatus().build();

        assertThat(PolicyReconciler.ipv4Of(dualStack)).hasToString("10.0.0.5");
        assertThat(PolicyReconciler.ipv4Of(v6only)).isNull();
        assertThat(PolicyReconciler.ipv4Of(pending)).isNull();
    }
}
