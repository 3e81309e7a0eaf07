package io.sluice.policy;

import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prints the recompute figures for one pod label change in a 5,000-pod, 1,000-policy cluster (timings are
 * printed, never asserted), then checks that after the 600 updates the engine still equals one compiled
 * from scratch from the final objects.
 */
class RecomputeFiguresTest {

    @Test
    void printsRecomputeTimesAndStaysEqualToACompileFromScratch() {
        RecomputeFigures f = new RecomputeFigures();
        long start = System.nanoTime();
        PolicyEngine engine = f.build();
        System.out.printf("[policy figures] initial compile of %d pods, %d policies: %.0f ms (%d local endpoints, %d selectors, %d ipcache entries)%n",
                f.pods.size(), f.policies.size(), (System.nanoTime() - start) / 1e6, engine.endpointPolicies().size(),
                engine.selectorCount(), engine.ipcache().entries().size());
        Map<String, Pod> current = new HashMap<>();
        for (RecomputeFigures.Figures figures : f.measure(engine, current, 200)) {
            System.out.println("[policy figures] " + figures);
        }

        Cluster last = new Cluster(f.namespaces, List.copyOf(current.values()), f.policies,
                Map.of(RecomputeFigures.LOCAL_NODE, List.of("192.168.0.1")));
        PolicyEngine scratch = last.engineFor(RecomputeFigures.LOCAL_NODE);
        assertThat(engine.endpointPolicies()).hasSize(RecomputeFigures.PODS_PER_NAMESPACE * RecomputeFigures.NAMESPACES / RecomputeFigures.NODES);
        assertThat(IncrementalMatchesScratchTest.canonical(engine)).isEqualTo(IncrementalMatchesScratchTest.canonical(scratch));
        assertThat(IncrementalMatchesScratchTest.canonicalIpcache(engine)).isEqualTo(IncrementalMatchesScratchTest.canonicalIpcache(scratch));
    }
}
