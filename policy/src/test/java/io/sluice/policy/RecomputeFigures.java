package io.sluice.policy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Prints how long the engine takes to absorb one pod label change in a cluster of 5,000 pods (50
 * namespaces, 50 nodes, 100 pods on this node) and 1,000 policies that mix same-namespace pod peers,
 * namespace+pod peers, namespace-wide peers, ipBlocks with except, named ports and endPort ranges.
 * Two kinds of change, 200 each: a relabel onto a label set that already has an identity (a rollout's
 * version flip), and onto a brand-new label set (new identity, every selector evaluated). No JMH: a
 * warm-up pass, then System.nanoTime around each update call. Run with {@code main} or through
 * {@link RecomputeFiguresTest}.
 */
final class RecomputeFigures {

    static final int NAMESPACES = 50;
    static final int PODS_PER_NAMESPACE = 100;
    static final int NODES = 50;
    static final int POLICIES_PER_NAMESPACE = 20;
    static final String LOCAL_NODE = "node-0";

    final List<Namespace> namespaces = new ArrayList<>();
    final List<Pod> pods = new ArrayList<>();
    final List<NetworkPolicy> policies = new ArrayList<>();

    RecomputeFigures() {
        for (int n = 0; n < NAMESPACES; n++) {
            namespaces.add(ClusterArbitraries.namespace("ns" + n, Map.of("team", "t" + (n % 5), "env", n % 2 == 0 ? "prod" : "dev")));
            for (int j = 0; j < PODS_PER_NAMESPACE; j++) {
                pods.add(pod(n, j, "v1"));
            }
            for (int q = 0; q < POLICIES_PER_NAMESPACE; q++) {
                policies.add(policy(n, q));
            }
        }
    }

    static Pod pod(int n, int j, String version) {
        int k = n * PODS_PER_NAMESPACE + j;
        Map<String, String> labels = Map.of("app", "app" + (j % 20), "tier", j % 2 == 0 ? "front" : "back", "version", version);
        List<ContainerPort> ports = List.of(ClusterArbitraries.port("http", 8080, "TCP"), ClusterArbitraries.port("metrics", 9090, "TCP"));
        return ClusterArbitraries.pod("ns" + n, "pod" + j, "node-" + ((j + n) % NODES), "10.1." + (k / 250) + "." + (k % 250 + 1), labels, ports);
    }

    static LabelSelector sel(String key, String value) {
        return new LabelSelectorBuilder().addToMatchLabels(key, value).build();
    }

    static NetworkPolicy policy(int n, int q) {
        List<NetworkPolicyPeer> from = new ArrayList<>();
        from.add(new NetworkPolicyPeer(null, null, sel("app", "app" + ((q + 1) % 20))));
        from.add(new NetworkPolicyPeer(null, sel("team", "t" + ((n + q) % 5)), sel("tier", "front")));
        if (q % 10 == 3) {
            from.add(new NetworkPolicyPeer(null, sel("env", "prod"), null));
        }
        List<NetworkPolicyPort> ports = new ArrayList<>(List.of(
                new NetworkPolicyPort(null, new IntOrString(8080), "TCP"),
                new NetworkPolicyPort(null, new IntOrString("http"), "TCP")));
        if (q % 4 == 1) {
            ports.add(new NetworkPolicyPort(32767, new IntOrString(30000), "TCP"));
        }
        List<NetworkPolicyIngressRule> ingress = new ArrayList<>(List.of(new NetworkPolicyIngressRule(from, ports)));
        List<NetworkPolicyEgressRule> egress = new ArrayList<>();
        if (q % 5 == 0) {
            int third = (n * POLICIES_PER_NAMESPACE + q) % 250;
            ingress.add(new NetworkPolicyIngressRule(List.of(new NetworkPolicyPeer(
                    new IPBlock("172.16." + third + ".0/24", List.of("172.16." + third + ".128/25")), null, null)),
                    List.of(new NetworkPolicyPort(null, new IntOrString(443), "TCP"))));
            egress.add(new NetworkPolicyEgressRule(List.of(new NetworkPolicyPort(null, new IntOrString("metrics"), "TCP")),
                    List.of(new NetworkPolicyPeer(null, new LabelSelector(), sel("app", "app" + ((q + 2) % 20))))));
            egress.add(new NetworkPolicyEgressRule(List.of(new NetworkPolicyPort(null, new IntOrString(53), "UDP")), null));
        }
        return new NetworkPolicyBuilder().withNewMetadata().withNamespace("ns" + n).withName("pol" + q).endMetadata()
                .withNewSpec().withPodSelector(sel("app", "app" + q)).withIngress(ingress).withEgress(egress).endSpec().build();
    }

    PolicyEngine build() {
        PolicyEngine engine = new PolicyEngine(LOCAL_NODE, new InMemoryIdentityStore());
        engine.setHostAddresses(List.of("192.168.0.1"));
        namespaces.forEach(engine::upsertNamespace);
        pods.forEach(engine::upsertPod);
        policies.forEach(engine::upsertPolicy);
        return engine;
    }

    /**
     * Figures of one run: wall-clock time per update, and the updating thread's CPU time (which leaves out
     * time the thread spent descheduled on a busy machine).
     */
    record Figures(String label, int count, double medianMillis, double p99Millis, double maxMillis,
                   double cpuMedianMillis, double cpuP99Millis, double cpuMaxMillis, double meanEndpointsChanged) {
        @Override
        public String toString() {
            return String.format("%-36s %d updates: wall p50 %6.3f ms  p99 %6.3f ms  max %6.3f ms | cpu p50 %6.3f ms  p99 %6.3f ms  max %6.3f ms | endpoints changed/update %.1f",
                    label, count, medianMillis, p99Millis, maxMillis, cpuMedianMillis, cpuP99Millis, cpuMaxMillis, meanEndpointsChanged);
        }
    }

    /**
     * Applies {@code count} relabels to random pods and times each; with {@code fresh} every new label set
     * is unique (new identity), otherwise it is one of four versions (identities that mostly exist).
     * Returns the figures; {@code current} tracks the pods' latest objects.
     */
    static Figures run(PolicyEngine engine, Map<String, Pod> current, int count, boolean fresh, long seed, String label) {
        Random random = new Random(seed);
        long[] nanos = new long[count];
        long[] cpu = new long[count];
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long changed = 0;
        for (int i = 0; i < count; i++) {
            int n = random.nextInt(NAMESPACES);
            int j = random.nextInt(PODS_PER_NAMESPACE);
            String version = fresh ? "u" + seed + "-" + i : "v" + (1 + random.nextInt(4));
            Pod next = pod(n, j, version);
            long cpuStart = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            PolicyChangeSet changes = engine.upsertPod(next);
            nanos[i] = System.nanoTime() - start;
            cpu[i] = threads.getCurrentThreadCpuTime() - cpuStart;
            changed += changes.endpoints().size();
            current.put(next.getMetadata().getNamespace() + "/" + next.getMetadata().getName(), next);
        }
        Arrays.sort(nanos);
        Arrays.sort(cpu);
        int p99 = (int) Math.ceil(count * 0.99) - 1;
        return new Figures(label, count, nanos[count / 2] / 1e6, nanos[p99] / 1e6, nanos[count - 1] / 1e6,
                cpu[count / 2] / 1e6, cpu[p99] / 1e6, cpu[count - 1] / 1e6, (double) changed / count);
    }

    /** Builds the cluster, warms up, measures, and returns the final engine and pod objects. */
    List<Figures> measure(PolicyEngine engine, Map<String, Pod> current, int changes) {
        pods.forEach(p -> current.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p));
        run(engine, current, changes / 2, false, 1, "warm-up");
        run(engine, current, changes / 2, true, 2, "warm-up");
        return List.of(
                run(engine, current, changes, false, 3, "relabel onto an existing identity"),
                run(engine, current, changes, true, 4, "relabel onto a new identity"));
    }

    public static void main(String[] args) {
        RecomputeFigures f = new RecomputeFigures();
        long start = System.nanoTime();
        PolicyEngine engine = f.build();
        System.out.printf("initial compile of %d pods, %d policies: %.0f ms (%d local endpoints, %d selectors, %d ipcache entries)%n",
                f.pods.size(), f.policies.size(), (System.nanoTime() - start) / 1e6, engine.endpointPolicies().size(),
                engine.selectorCount(), engine.ipcache().entries().size());
        f.measure(engine, new HashMap<>(), 200).forEach(System.out::println);
    }
}
