package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class LabPlannerPropertyTest {
    /** Pod keys across namespaces, some with dashes that make netns names ambiguous (x-a/b vs x/a-b, lab/1). */
    private static final List<String> KEYS = List.of("x/a", "x/b", "x/c", "x/a-b", "x-a/b", "y/a", "y/b", "lab/1",
            "lab/2", "z/web-1");

    @Provide
    Arbitrary<Set<String>> podSets() {
        return Arbitraries.of(KEYS).set().ofMaxSize(KEYS.size());
    }

    /** Every pod the sets draw from, parsed once. */
    private static final Map<String, Pod> UNIVERSE = parseUniverse();

    private static Map<String, Pod> parseUniverse() {
        KubernetesSerialization yaml = new KubernetesSerialization();
        Map<String, Pod> pods = new HashMap<>();
        for (String key : KEYS) {
            pods.put(key, yaml.unmarshal(Manifests.pod(key.split("/")[0], key.split("/")[1], "web"), Pod.class));
        }
        return pods;
    }

    private static ManifestSet manifests(Set<String> pods) {
        KubernetesSerialization yaml = new KubernetesSerialization();
        return ManifestSet.of(pods.stream().map(k -> yaml.clone(UNIVERSE.get(k))).toList());
    }

    @Property(tries = 50)
    void podsGetDistinctNamesAndAddressesInTheirNodesCidrAndKeepThemAcrossChanges(
            @ForAll("podSets") Set<String> first, @ForAll("podSets") Set<String> second,
            @ForAll @IntRange(min = 1, max = 4) int nodes) {
        LabPlan before = LabPlanner.plan("lab", manifests(first), nodes, Assignments.none());
        check(before, first, nodes, true);
        LabPlan after = LabPlanner.plan("lab", manifests(second), nodes, before.assignments());
        check(after, second, nodes, false);
        Map<String, LabPod> was = before.pods().stream().collect(Collectors.toMap(LabPod::key, Function.identity()));
        for (LabPod pod : after.pods()) {
            if (was.containsKey(pod.key())) {
                assertThat(pod).as("a pod present in both plans stays as it was").isEqualTo(was.get(pod.key()));
            }
        }
    }

    private static void check(LabPlan plan, Set<String> keys, int nodes, boolean fresh) {
        assertThat(plan.pods()).extracting(LabPod::key).containsExactlyInAnyOrderElementsOf(keys);
        List<String> reserved = new ArrayList<>();
        reserved.add(LabPlanner.fabricNamespace("lab"));
        plan.nodes().forEach(n -> reserved.add(n.networkNamespace()));
        assertThat(plan.pods()).extracting(LabPod::networkNamespace).doesNotHaveDuplicates()
                .doesNotContainAnyElementsOf(reserved);
        assertThat(plan.pods()).extracting(LabPod::hostInterface).doesNotHaveDuplicates()
                .allSatisfy(i -> assertThat(i.length()).isLessThanOrEqualTo(15));
        assertThat(plan.pods()).extracting(LabPod::address).doesNotHaveDuplicates();
        for (LabPod pod : plan.pods()) {
            int node = Integer.parseInt(pod.node().substring("lab-".length()));
            assertThat(node).isBetween(1, nodes);
            int address = Ipv4.parse(pod.address());
            assertThat(Ipv4.contains(Ipv4.parse("198.19." + node + ".0"), 24, address)).isTrue();
            assertThat(address & 0xff).isBetween(2, 254);
        }
        if (fresh) {
            // A new lab spreads: node pod counts differ by at most one.
            Map<String, Long> perNode = plan.pods().stream().collect(Collectors.groupingBy(LabPod::node, Collectors.counting()));
            List<Long> counts = plan.nodes().stream().map(n -> perNode.getOrDefault(n.name(), 0L)).toList();
            assertThat(counts.stream().mapToLong(Long::longValue).max().orElse(0)
                    - counts.stream().mapToLong(Long::longValue).min().orElse(0)).isLessThanOrEqualTo(1);
        }
    }
}
