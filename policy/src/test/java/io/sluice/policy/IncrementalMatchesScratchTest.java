package io.sluice.policy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * After random sequences of updates (pod relabels, adds and deletes, namespace relabels, policy adds,
 * updates, deletes and invalid updates), the incrementally maintained engine equals one compiled from
 * scratch from the final objects; the change sets it returned, replayed onto an empty mirror (what the
 * agent writes into the maps), equal its full state; and refused updates keep the previous version.
 */
class IncrementalMatchesScratchTest {

    /** One update to the cluster, with a description for failure reports. */
    record Update(String description, java.util.function.Consumer<Model> action) {
        void apply(Model model) {
            action.accept(model);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /** The objects as the API server would hold them, plus the engines fed update by update. */
    static final class Model {
        final Map<String, Namespace> namespaces = new TreeMap<>();
        final Map<PodRef, Pod> pods = new TreeMap<>();
        final Map<PolicyRef, NetworkPolicy> policies = new TreeMap<>();
        final Map<String, PolicyEngine> engines = new TreeMap<>();
        final Map<String, Mirror> mirrors = new TreeMap<>();
        int nextPod = 100;

        Model(Cluster initial) {
            for (String node : ClusterArbitraries.NODES.keySet()) {
                PolicyEngine engine = new PolicyEngine(node, new InMemoryIdentityStore());
                engines.put(node, engine);
                Mirror mirror = new Mirror();
                mirrors.put(node, mirror);
                mirror.apply(engine.setHostAddresses(ClusterArbitraries.NODES.get(node)));
            }
            initial.namespaces().forEach(this::upsertNamespace);
            initial.pods().forEach(this::upsertPod);
            initial.policies().forEach(this::upsertPolicy);
        }

        void each(Function<PolicyEngine, PolicyChangeSet> call) {
            engines.forEach((node, engine) -> mirrors.get(node).apply(call.apply(engine)));
        }

        void upsertNamespace(Namespace ns) {
            namespaces.put(ns.getMetadata().getName(), ns);
            each(e -> e.upsertNamespace(ns));
        }

        void upsertPod(Pod pod) {
            pods.put(Datapath.ref(pod), pod);
            each(e -> e.upsertPod(pod));
        }

        void deletePod(PodRef ref) {
            pods.remove(ref);
            each(e -> e.deletePod(ref));
        }

        void upsertPolicy(NetworkPolicy p) {
            policies.put(new PolicyRef(p.getMetadata().getNamespace(), p.getMetadata().getName()), p);
            each(e -> e.upsertPolicy(p));
        }

        void deletePolicy(PolicyRef ref) {
            policies.remove(ref);
            each(e -> e.deletePolicy(ref));
        }

        Cluster cluster() {
            return new Cluster(List.copyOf(namespaces.values()), List.copyOf(pods.values()),
                    List.copyOf(policies.values()), ClusterArbitraries.NODES);
        }
    }

    /** What the agent would hold after writing every change set. */
    static final class Mirror {
        final Map<PodRef, EndpointPolicy> endpoints = new HashMap<>();
        final Map<IpPrefix, Integer> ipcache = new HashMap<>();

        void apply(PolicyChangeSet changes) {
            changes.removedEndpoints().keySet().forEach(endpoints::remove);
            endpoints.putAll(changes.endpoints());
            changes.ipcache().deletions().forEach(ipcache::remove);
            ipcache.putAll(changes.ipcache().upserts());
        }
    }

    @Provide
    Arbitrary<Cluster> clusters() {
        return ClusterArbitraries.clusters(false);
    }

    @Provide
    Arbitrary<List<Update>> updates() {
        Arbitrary<Integer> index = Arbitraries.integers().between(0, 50);
        Arbitrary<Update> relabelPod = Combinators.combine(index, ClusterArbitraries.labels(List.of("app", "tier"), List.of("web", "db", "x")))
                .as((i, labels) -> new Update("relabel pod #" + i + " to " + labels, m -> {
                    if (m.pods.isEmpty()) return;
                    Pod old = pick(m.pods, i);
                    m.upsertPod(new PodBuilder(old).editMetadata().withLabels(labels).endMetadata().build());
                }));
        Arbitrary<Update> deletePod = index.map(i -> new Update("delete pod #" + i, m -> {
            if (!m.pods.isEmpty()) m.deletePod(Datapath.ref(pick(m.pods, i)));
        }));
        Arbitrary<Update> addPod = ClusterArbitraries.podSeed(false).map(seed -> new Update("add pod", m -> {
            Pod pod = seed.build(m.nextPod++ % 60);
            String ip = pod.getStatus().getPodIP();
            if (m.pods.values().stream().anyMatch(p -> p.getStatus().getPodIP().equals(ip))) return;
            m.upsertPod(new PodBuilder(pod).editMetadata().withName("new" + m.nextPod).endMetadata().build());
        }));
        Arbitrary<Update> relabelNamespace = Combinators.combine(Arbitraries.of(ClusterArbitraries.NAMESPACES),
                        ClusterArbitraries.labels(List.of("team", "env"), List.of("red", "blue")))
                .as((ns, labels) -> new Update("relabel namespace " + ns + " to " + labels,
                        m -> m.upsertNamespace(ClusterArbitraries.namespace(ns, labels))));
        Arbitrary<Update> upsertPolicy = Combinators.combine(ClusterArbitraries.policySeed(), Arbitraries.integers().between(0, 6))
                .as((seed, n) -> new Update("upsert policy " + ClusterArbitraries.describe(seed.build("p" + n)),
                        m -> m.upsertPolicy(seed.build("p" + n))));
        Arbitrary<Update> deletePolicy = index.map(i -> new Update("delete policy #" + i, m -> {
            if (!m.policies.isEmpty()) m.deletePolicy(pick(m.policies.keySet(), i));
        }));
        Arbitrary<Update> invalidUpdate = Combinators.combine(index, Arbitraries.integers().between(0, 3))
                .as((i, kind) -> new Update("invalid update #" + kind + " of policy #" + i, m -> invalidUpdate(m, i, kind)));
        return Arbitraries.oneOf(relabelPod, deletePod, addPod, relabelNamespace, upsertPolicy, deletePolicy, invalidUpdate)
                .list().ofMinSize(1).ofMaxSize(12);
    }

    private static final List<String> INVALID_FIELDS = List.of("spec.ingress[0].ports[0].endPort",
            "spec.egress[0].to[0].ipBlock.cidr", "spec.podSelector.matchExpressions[0].operator",
            "spec.ingress[0].ports[0].protocol");

    /** Applies an invalid update of an existing policy: must be refused, the accepted version stays. */
    private static void invalidUpdate(Model m, int i, int kind) {
        if (m.policies.isEmpty()) return;
        PolicyRef ref = pick(m.policies.keySet(), i);
        NetworkPolicy bad = corrupt(m.policies.get(ref), kind);
        for (PolicyEngine engine : m.engines.values()) {
            PolicyChangeSet changes = engine.upsertPolicy(bad);
            assertThat(changes.refusals()).singleElement().satisfies(r -> {
                assertThat(r.namespace() + "/" + r.name()).isEqualTo(ref.toString());
                assertThat(r.field()).isEqualTo(INVALID_FIELDS.get(kind));
            });
            assertThat(changes.endpoints()).as("a refused update changes no endpoint").isEmpty();
            assertThat(changes.ipcache().isEmpty()).isTrue();
        }
    }

    static NetworkPolicy corrupt(NetworkPolicy p, int kind) {
        NetworkPolicyBuilder b = new NetworkPolicyBuilder(p);
        switch (kind) {
            case 0 -> b.editSpec().withIngress(new NetworkPolicyIngressRule(null,
                    List.of(new NetworkPolicyPort(79, new IntOrString(80), "TCP")))).endSpec();
            case 1 -> b.editSpec().withEgress(new NetworkPolicyEgressRule(null,
                    List.of(new NetworkPolicyPeer(new IPBlock("10.0.0.0/33", null), null, null)))).endSpec();
            case 2 -> b.editSpec().editPodSelector().withMatchLabels(null)
                    .withMatchExpressions(new LabelSelectorRequirement("app", "Like", List.of("web"))).endPodSelector().endSpec();
            default -> b.editSpec().withIngress(new NetworkPolicyIngressRule(null,
                    List.of(new NetworkPolicyPort(null, new IntOrString(80), "ICMP")))).endSpec();
        }
        return b.build();
    }

    private static <T> T pick(Map<?, T> map, int i) {
        return new ArrayList<>(map.values()).get(i % map.size());
    }

    private static <T> T pick(Set<T> set, int i) {
        return new ArrayList<>(set).get(i % set.size());
    }

    @Property(tries = 120)
    void incrementalStateEqualsScratchAndChangeSetsReplayToIt(@ForAll("clusters") Cluster initial,
                                                              @ForAll("updates") List<Update> updates) {
        Model model = new Model(initial);
        for (Update u : updates) {
            u.apply(model);
        }
        Cluster last = model.cluster();
        for (Map.Entry<String, PolicyEngine> e : model.engines.entrySet()) {
            PolicyEngine incremental = e.getValue();
            PolicyEngine scratch = last.engineFor(e.getKey());
            assertThat(canonical(incremental)).isEqualTo(canonical(scratch));
            assertThat(canonicalIpcache(incremental)).isEqualTo(canonicalIpcache(scratch));
            Mirror mirror = model.mirrors.get(e.getKey());
            assertThat(mirror.endpoints).isEqualTo(incremental.endpointPolicies());
            assertThat(mirror.ipcache).isEqualTo(incremental.ipcache().entries());
        }
        // Relabelled pods keep their ports, so pods with equal labels may disagree on named ports.
        assertThat(CompiledMatchesReferenceTest.mismatches(last,
                new ReferenceEvaluator(last, ReferenceEvaluator.NamedPorts.BY_LABELS), new Datapath(model.engines)))
                .isEmpty();
    }

    /** Endpoint policies with identities replaced by what they stand for (numbers differ between engines). */
    static Map<PodRef, String> canonical(PolicyEngine engine) {
        Map<PodRef, String> out = new TreeMap<>();
        engine.endpointPolicies().forEach((ref, p) -> {
            TreeSet<String> entries = new TreeSet<>();
            for (PolicyEntry e : p.entries()) {
                entries.add(e.direction() + " " + describe(engine, e.peerIdentity()) + " " + e.protocol() + " " + e.portBlock());
            }
            out.put(ref, "in=" + p.ingressEnforced() + " eg=" + p.egressEnforced() + " " + entries);
        });
        return out;
    }

    static Map<IpPrefix, String> canonicalIpcache(PolicyEngine engine) {
        Map<IpPrefix, String> out = new TreeMap<>();
        engine.ipcache().entries().forEach((prefix, id) -> out.put(prefix, describe(engine, id)));
        return out;
    }

    private static String describe(PolicyEngine engine, int id) {
        SecurityLabels labels = engine.identities().labelsOf(id);
        if (labels != null) return labels.storeKey();
        IpPrefix prefix = engine.identities().prefixOf(id);
        if (prefix != null) return "cidr:" + prefix;
        return switch (id) {
            case Identities.ANY -> "any";
            case Identities.HOST -> "host";
            case Identities.WORLD -> "world";
            default -> throw new AssertionError("identity " + id + " is not live");
        };
    }
}
