package io.sluice.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The LRU maps' per-node defaults (kube-proxy's conntrack rule), operator sizes, and the node's CPU count. */
class LruMapSizesTest {

    @Property
    void conntrackFollowsKubeProxysRuleAndTheOtherMapsWhatTheyHold(@ForAll @IntRange(min = 1, max = 1024) int cpus) {
        Map<String, Integer> sizes = LruMapSizes.forNode(cpus).entries();

        int conntrack = Math.min(Math.max(32_768 * cpus, 131_072), 1 << 24);
        int socketReverseNat = Math.min(Math.max(16_384 * cpus, 65_536), 1 << 24);
        assertThat(sizes.keySet()).containsExactlyElementsOf(LruMapSizes.MAPS);
        assertThat(sizes).containsEntry("ct4_entries", conntrack).containsEntry("policy4_ct", conntrack)
                .containsEntry("lb4_sock_rev", socketReverseNat)
                .containsEntry("lb6_sock_rev", socketReverseNat)
                .containsEntry("lb4_affinity", 65_536);
    }

    @Test
    void aSmallNodeGetsTheFloorsWhichAreTheCompiledSizes() {
        assertThat(LruMapSizes.forNode(2).entries()).containsEntry("ct4_entries", 131_072)
                .containsEntry("ct4_entries", io.sluice.maps.DatapathConstants.CT4_ENTRIES_MAX)
                .containsEntry("policy4_ct", io.sluice.maps.PolicyConstants.POLICY4_CT_MAX)
                .containsEntry("lb4_sock_rev", io.sluice.maps.DatapathConstants.LB4_SOCK_REV_MAX)
                .containsEntry("lb6_sock_rev", io.sluice.maps.DatapathConstants.LB6_SOCK_REV_MAX)
                .containsEntry("lb4_affinity", io.sluice.maps.DatapathConstants.LB4_AFFINITY_MAX);
    }

    @Property
    void anOperatorsSizeReplacesOnlyItsMap(@ForAll @IntRange(min = 1024, max = 1 << 24) int size) {
        LruMapSizes defaults = LruMapSizes.forNode(4);

        Map<String, Integer> sized = defaults.with("lruMapEntries", Map.of("lb4_affinity", size)).entries();

        assertThat(sized).containsEntry("lb4_affinity", size);
        assertThat(sized).containsAllEntriesOf(Map.of("ct4_entries", defaults.entries().get("ct4_entries"),
                "lb4_sock_rev", defaults.entries().get("lb4_sock_rev")));
    }

    @Property
    void aSizeOutsideTheBoundsIsRefusedNamingTheMapAndTheValue(@ForAll int size) {
        if (size >= 1024 && size <= 1 << 24) {
            return;
        }
        assertThatThrownBy(() -> LruMapSizes.forNode(2).with("lruMapEntries", Map.of("ct4_entries", size)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo("lruMapEntries.ct4_entries");
                    assertThat(e.getMessage()).contains(size + " entries is outside 1024..16777216");
                });
    }

    @Test
    void aMapThatIsNotAnLruMapIsRefusedListingThem() {
        assertThatThrownBy(() -> LruMapSizes.forNode(2).with("lruMapEntries", Map.of("lb4_services", 4096)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo("lruMapEntries");
                    assertThat(e.getMessage()).contains("\"lb4_services\" is not one of the LRU maps")
                            .contains("ct4_entries", "policy4_ct", "lb4_sock_rev", "lb6_sock_rev", "lb4_affinity");
                });
    }

    @Property
    void aCpuListCountsEveryCpuOfItsRanges(@ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 64) Integer> widths,
                                           @ForAll @IntRange(min = 0, max = 3) int gap) {
        List<String> ranges = new ArrayList<>();
        int next = 0;
        int expected = 0;
        for (int width : widths) {
            ranges.add(width == 1 ? Integer.toString(next) : next + "-" + (next + width - 1));
            expected += width;
            next += width + gap + 1;
        }

        assertThat(LruMapSizes.countCpus(String.join(",", ranges) + "\n")).isEqualTo(expected);
    }

    @Test
    void aCpuListThatIsNotOneIsRefused() {
        for (String bad : List.of("", "a", "3-1", "0-", "1,,2")) {
            assertThatThrownBy(() -> LruMapSizes.countCpus(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void thisNodesCpusAreCounted() {
        assertThat(LruMapSizes.nodeCpus()).isPositive();
    }
}
