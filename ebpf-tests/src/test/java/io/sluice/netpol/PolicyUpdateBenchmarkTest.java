package io.sluice.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.policy.PodInterfaces;
import io.sluice.agent.policy.PolicyMetrics;
import io.sluice.agent.policy.PolicyReconciler;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.maps.PolicyMaps;
import io.sluice.policy.InMemoryIdentityStore;
import io.sluice.testnet.KernelTest;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Figures, printed and never asserted as times: from one pod label change to the policy maps written, in a cluster
 * of 5,000 pods (100 on this node) and 1,000 policies — the policy reconciler in-process over the real maps of a
 * loaded (unattached) data path: the engine's recompute, the write plan, and the map syscalls. Asserts only that
 * the maps end up as the final objects compile to: a second reconciler fed them (same identities) writes nothing.
 * About 15 s; part of the normal suite.
 */
@KernelTest
@Tag("benchmark")
class PolicyUpdateBenchmarkTest {
    private static final int NAMESPACES = 50;
    private static final int PODS_PER_NAMESPACE = 100;
    private static final int NODES = 50;
    private static final int POLICIES_PER_NAMESPACE = 20;
    private static final int UPDATES = 200;

    @Test
    void oneLabelChangeReachesTheMapsInMilliseconds() {
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            pod.load();
            try (PolicyMaps maps = PolicyMaps.of(pod)) {
                InMemoryIdentityStore identities = new InMemoryIdentityStore();
                Map<ObjectKey, HasMetadata> latest = new LinkedHashMap<>();
                PolicyReconciler reconciler = reconciler(identities, maps);
                Map<ObjectKey, HasMetadata> objects = new LinkedHashMap<>();
                for (int n = 0; n < NAMESPACES; n++) {
                    objects.put(new ObjectKey(ResourceKind.NAMESPACE, "", "ns" + n), namespace(n));
                    for (int j = 0; j < PODS_PER_NAMESPACE; j++) {
                        objects.put(new ObjectKey(ResourceKind.POD, "ns" + n, "pod" + j), pod(n, j, "v1"));
                    }
                    for (int q = 0; q < POLICIES_PER_NAMESPACE; q++) {
                        objects.put(new ObjectKey(ResourceKind.NETWORK_POLICY, "ns" + n, "pol" + q), policy(n, q));
                    }
                }
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                long start = System.nanoTime();
                objects.forEach((key, object) -> apply(reconciler, latest, key, object));
                long fed = System.nanoTime();
                long flushCpu = threads.getCurrentThreadCpuTime();
                reconciler.storeComplete();
                int initialWrites = reconciler.flush();
                long flushed = System.nanoTime();
                flushCpu = threads.getCurrentThreadCpuTime() - flushCpu;

                Random random = new Random(7);
                // An agent relabels with warm code: the first relabels' compilations are not what one costs.
                relabel(reconciler, latest, random, false);
                Times existing = relabel(reconciler, latest, random, false);
                Times fresh = relabel(reconciler, latest, random, true);

                PolicyReconciler restarted = reconciler(identities, maps);
                latest.forEach(restarted::apply);
                restarted.storeComplete();
                assertThat(restarted.flush()).as("writes a reconciler fed the final objects still finds to do").isZero();
                System.out.printf("policy update at 5,000 pods (100 local), 1,000 policies: initial sync %d ms = objects into the"
                                + " engine %d ms + first flush (plan and %,d map writes, in batches) %d ms (thread CPU %d ms); %,d entries;"
                                + " one relabel until the maps are written, after %d unmeasured:%n  onto an existing identity: %s%n"
                                + "  onto a new identity:       %s%n",
                        (flushed - start) / 1_000_000, (fed - start) / 1_000_000, initialWrites, (flushed - fed) / 1_000_000,
                        flushCpu / 1_000_000, maps.read().entries().size(), UPDATES, existing, fresh);
            }
        }
    }

    private static PolicyReconciler reconciler(InMemoryIdentityStore identities, PolicyMaps maps) {
        AgentMetrics metrics = new AgentMetrics();
        return new PolicyReconciler("node-0", identities, maps, PodInterfaces.NONE, metrics,
                new PolicyMetrics(metrics.registry(), null), List.of("192.168.0.1"));
    }

    private static void apply(PolicyReconciler reconciler, Map<ObjectKey, HasMetadata> latest, ObjectKey key, HasMetadata object) {
        reconciler.apply(key, object);
        latest.put(key, object);
    }

    /**
     * Wall-clock and thread CPU times of the updates and the thread CPU of their engine part, each sorted; how many
     * updates wrote at least {@value #WIDE} map entries; the young collections (count, total pause) while they ran;
     * the slowest updates (on the wall clock), slowest first.
     */
    private record Times(long[] wall, long[] cpu, long[] engineCpu, int wide, long collections, long collectionMillis,
                         List<Relabel> slowest) {
        @Override
        public String toString() {
            return String.format("%d relabels (%d wrote >= %d map entries; %d collections, %d ms in all):"
                            + " wall p50 %.2f p99 %.2f max %.2f ms | thread CPU p50 %.2f p99 %.2f max %.2f ms"
                            + " | engine's CPU p99 %.2f ms | slowest: %s",
                    wall.length, wide, WIDE, collections, collectionMillis, ms(wall, 0.5), ms(wall, 0.99), ms(wall, 1),
                    ms(cpu, 0.5), ms(cpu, 0.99), ms(cpu, 1), ms(engineCpu, 0.99), slowest);
        }
    }

    /** One timed relabel: wall and thread CPU time, map writes, young collections that fell inside it. */
    private record Relabel(long wall, long cpu, int writes, long collections) {
        @Override
        public String toString() {
            return String.format("%.1f ms wall / %.1f ms CPU, %d writes, %d collections", wall / 1e6, cpu / 1e6, writes,
                    collections);
        }
    }

    /** Map writes from which a relabel counts as wide: it reached many endpoints (a new identity of a common peer). */
    private static final int WIDE = 100;

    /**
     * Relabels random pods, timing apply + flush each, on the wall clock and in the thread's CPU time (which leaves
     * out the time a busy machine kept the thread descheduled); {@code unique} makes every label set new.
     */
    private static Times relabel(PolicyReconciler reconciler, Map<ObjectKey, HasMetadata> latest, Random random, boolean unique) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] wall = new long[UPDATES];
        long[] cpu = new long[UPDATES];
        long[] engineCpu = new long[UPDATES];
        int wide = 0;
        long collections = collections(GarbageCollectorMXBean::getCollectionCount);
        long collectionMillis = collections(GarbageCollectorMXBean::getCollectionTime);
        List<Relabel> all = new ArrayList<>();
        for (int i = 0; i < UPDATES; i++) {
            int n = random.nextInt(NAMESPACES);
            int j = random.nextInt(PODS_PER_NAMESPACE);
            Pod next = pod(n, j, unique ? "u" + i : "v" + (1 + random.nextInt(4)));
            ObjectKey key = new ObjectKey(ResourceKind.POD, "ns" + n, "pod" + j);
            long collectionsBefore = collections(GarbageCollectorMXBean::getCollectionCount);
            long cpuStart = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            reconciler.apply(key, next);
            engineCpu[i] = threads.getCurrentThreadCpuTime() - cpuStart;
            int writes = reconciler.flush();
            wall[i] = System.nanoTime() - start;
            if (writes >= WIDE) {
                wide++;
            }
            cpu[i] = threads.getCurrentThreadCpuTime() - cpuStart;
            all.add(new Relabel(wall[i], cpu[i], writes, collections(GarbageCollectorMXBean::getCollectionCount) - collectionsBefore));
            latest.put(key, next);
        }
        all.sort(Comparator.comparingLong(Relabel::wall).reversed());
        Arrays.sort(wall);
        Arrays.sort(cpu);
        Arrays.sort(engineCpu);
        return new Times(wall, cpu, engineCpu, wide, collections(GarbageCollectorMXBean::getCollectionCount) - collections,
                collections(GarbageCollectorMXBean::getCollectionTime) - collectionMillis, List.copyOf(all.subList(0, 3)));
    }

    private static long collections(ToLongFunction<GarbageCollectorMXBean> figure) {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(figure).sum();
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * quantile) - 1)] / 1e6;
    }

    private static Namespace namespace(int n) {
        return new NamespaceBuilder().withNewMetadata().withName("ns" + n).addToLabels("team", "t" + (n % 5))
                .addToLabels("env", n % 2 == 0 ? "prod" : "dev").endMetadata().build();
    }

    private static Pod pod(int n, int j, String version) {
        int k = n * PODS_PER_NAMESPACE + j;
        String ip = "10.1." + (k / 250) + "." + (k % 250 + 1);
        return new PodBuilder().withNewMetadata().withNamespace("ns" + n).withName("pod" + j)
                .addToLabels("app", "app" + (j % 20)).addToLabels("tier", j % 2 == 0 ? "front" : "back")
                .addToLabels("version", version).endMetadata()
                .withNewSpec().withNodeName("node-" + ((j + n) % NODES)).addNewContainer().withName("c")
                .addNewPort().withName("http").withContainerPort(8080).withProtocol("TCP").endPort()
                .addNewPort().withName("metrics").withContainerPort(9090).withProtocol("TCP").endPort()
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP(ip).endStatus().build();
    }

    private static LabelSelector selector(String key, String value) {
        return new LabelSelectorBuilder().addToMatchLabels(key, value).build();
    }

    private static NetworkPolicy policy(int n, int q) {
        NetworkPolicyPeer sameApp = new NetworkPolicyPeerBuilder().withPodSelector(selector("app", "app" + ((q + 1) % 20))).build();
        NetworkPolicyPeer teamFront = new NetworkPolicyPeerBuilder().withNamespaceSelector(selector("team", "t" + ((n + q) % 5)))
                .withPodSelector(selector("tier", "front")).build();
        NetworkPolicyPeer outside = new NetworkPolicyPeerBuilder().withNewIpBlock()
                .withCidr("172.16." + ((n * POLICIES_PER_NAMESPACE + q) % 250) + ".0/24").endIpBlock().build();
        List<NetworkPolicyPort> ports = List.of(new NetworkPolicyPort(null, new IntOrString(8080), "TCP"),
                new NetworkPolicyPort(null, new IntOrString("metrics"), "TCP"),
                new NetworkPolicyPort(32767, new IntOrString(30000), "TCP"));
        return new NetworkPolicyBuilder().withNewMetadata().withNamespace("ns" + n).withName("pol" + q).endMetadata()
                .withNewSpec().withPodSelector(selector("app", "app" + q))
                .addNewIngress().withFrom(q % 5 == 0 ? List.of(sameApp, teamFront, outside) : List.of(sameApp, teamFront))
                .withPorts(ports).endIngress()
                .addNewEgress().addNewPort().withPort(new IntOrString(53)).withProtocol("UDP").endPort().endEgress()
                .withPolicyTypes(q % 3 == 0 ? List.of("Ingress", "Egress") : List.of("Ingress"))
                .endSpec().build();
    }
}
