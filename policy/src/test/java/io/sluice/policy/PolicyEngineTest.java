package io.sluice.policy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.sluice.policy.ClusterArbitraries.namespace;
import static io.sluice.policy.ClusterArbitraries.port;
import static org.assertj.core.api.Assertions.assertThat;

class PolicyEngineTest {

    static final String NODE = "node-a";
    static final String NODE_IP = "192.168.0.1";

    PolicyEngine engine;

    @BeforeEach
    void setUp() {
        engine = new PolicyEngine(NODE, new InMemoryIdentityStore());
        engine.setHostAddresses(List.of(NODE_IP));
        engine.upsertNamespace(namespace("shop", Map.of("team", "a")));
        engine.upsertNamespace(namespace("blog", Map.of("team", "b")));
    }

    // ------------------------------------------------------------ helpers

    static Pod pod(String ns, String name, String node, String ip, Map<String, String> labels, ContainerPort... ports) {
        return ClusterArbitraries.pod(ns, name, node, ip, labels, List.of(ports));
    }

    static LabelSelector sel(String key, String value) {
        return new LabelSelectorBuilder().addToMatchLabels(key, value).build();
    }

    static NetworkPolicyBuilder policy(String ns, String name, LabelSelector podSelector) {
        return new NetworkPolicyBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withPodSelector(podSelector).endSpec();
    }

    static NetworkPolicy ingressFrom(String ns, String name, LabelSelector podSelector, List<NetworkPolicyPeer> from,
                                     NetworkPolicyPort... ports) {
        return policy(ns, name, podSelector).editSpec()
                .withIngress(new NetworkPolicyIngressRule(from, List.of(ports))).endSpec().build();
    }

    static NetworkPolicyPeer peer(LabelSelector ns, LabelSelector pod) {
        return new NetworkPolicyPeer(null, ns, pod);
    }

    static NetworkPolicyPeer block(String cidr, String... except) {
        return new NetworkPolicyPeer(new IPBlock(cidr, except.length == 0 ? null : List.of(except)), null, null);
    }

    static NetworkPolicyPort tcp(Object port) {
        return new NetworkPolicyPort(null, new IntOrString(port), "TCP");
    }

    boolean ingress(String srcIp, PodRef dst, Protocol protocol, int port) {
        int identity = engine.ipcache().lookup(IpPrefix.parseAddress(srcIp));
        return engine.endpointPolicies().get(dst).allows(Direction.INGRESS, identity, protocol.number(), port);
    }

    boolean egress(PodRef src, String dstIp, Protocol protocol, int port) {
        int identity = engine.ipcache().lookup(IpPrefix.parseAddress(dstIp));
        return engine.endpointPolicies().get(src).allows(Direction.EGRESS, identity, protocol.number(), port);
    }

    static final PodRef WEB = new PodRef("shop", "web");

    void addWebAndPeers() {
        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web"), port("http", 8080, "TCP")));
        engine.upsertPod(pod("shop", "api", "node-b", "10.0.1.1", Map.of("app", "api")));
        engine.upsertPod(pod("blog", "api", "node-b", "10.0.1.2", Map.of("app", "api")));
        engine.upsertPod(pod("blog", "other", "node-b", "10.0.1.3", Map.of("app", "other")));
    }

    // -------------------------------------------------------------- tests

    @Test
    void namespaceAndPodSelectorInOnePeerAreAnAnd() {
        addWebAndPeers();
        engine.upsertPolicy(ingressFrom("shop", "and", sel("app", "web"), List.of(peer(sel("team", "b"), sel("app", "api")))));
        assertThat(ingress("10.0.1.2", WEB, Protocol.TCP, 80)).as("blog/api").isTrue();
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).as("shop/api: wrong namespace").isFalse();
        assertThat(ingress("10.0.1.3", WEB, Protocol.TCP, 80)).as("blog/other: wrong labels").isFalse();
    }

    @Test
    void newPeerIdentitiesReachAPolicyOnlyWhileItSelectsALocalPod() {
        // The policy selects no local pod at first: a selection change must not reach it; once a relabel makes it
        // select the local pod, the next new identity of its peer selector must; after the pod leaves, none again.
        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "other")));
        engine.upsertPolicy(ingressFrom("shop", "from-api", sel("app", "web"), List.of(peer(sel("team", "b"), sel("app", "api")))));
        engine.upsertPod(pod("blog", "api1", "node-b", "10.0.1.1", Map.of("app", "api", "v", "1")));
        assertThat(engine.endpointPolicies().get(WEB).ingressEnforced()).isFalse();

        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web")));
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).as("a peer from before the relabel").isTrue();
        PolicyChangeSet added = engine.upsertPod(pod("blog", "api2", "node-b", "10.0.1.2", Map.of("app", "api", "v", "2")));
        assertThat(added.endpoints()).containsOnlyKeys(WEB);
        assertThat(ingress("10.0.1.2", WEB, Protocol.TCP, 80)).as("a peer identity new after the relabel").isTrue();
        assertThat(ingress("10.0.1.3", WEB, Protocol.TCP, 80)).isFalse();

        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "other")));
        PolicyChangeSet unrelated = engine.upsertPod(pod("blog", "api3", "node-b", "10.0.1.3", Map.of("app", "api", "v", "3")));
        assertThat(unrelated.endpoints()).as("the policy selects no local pod any more").isEmpty();
        assertThat(engine.endpointPolicies().get(WEB).ingressEnforced()).isFalse();

        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web")));
        assertThat(ingress("10.0.1.3", WEB, Protocol.TCP, 80)).isTrue();
        engine.deletePolicy(new PolicyRef("shop", "from-api"));
        assertThat(engine.upsertPod(pod("blog", "api4", "node-b", "10.0.1.4", Map.of("app", "api", "v", "4"))).endpoints())
                .as("a deleted policy").isEmpty();
        assertThat(engine.endpointPolicies().get(WEB).ingressEnforced()).isFalse();
    }

    @Test
    void twoPeersAreAnOr() {
        addWebAndPeers();
        engine.upsertPolicy(ingressFrom("shop", "or", sel("app", "web"),
                List.of(peer(sel("team", "b"), null), peer(null, sel("app", "api")))));
        assertThat(ingress("10.0.1.2", WEB, Protocol.TCP, 80)).isTrue();
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).as("shop/api by the pod peer").isTrue();
        assertThat(ingress("10.0.1.3", WEB, Protocol.TCP, 80)).as("blog/other by the namespace peer").isTrue();
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 80)).as("outside the cluster").isFalse();
    }

    @Test
    void selectedPodWithoutRulesIsDeniedExceptFromItsOwnNode() {
        addWebAndPeers();
        engine.upsertPolicy(policy("shop", "deny", new LabelSelector()).build());
        EndpointPolicy web = engine.endpointPolicies().get(WEB);
        assertThat(web.ingressEnforced()).isTrue();
        assertThat(web.egressEnforced()).isFalse();
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 8080)).isFalse();
        assertThat(ingress("8.8.8.8", WEB, Protocol.UDP, 53)).isFalse();
        assertThat(ingress(NODE_IP, WEB, Protocol.TCP, 8080)).as("kubelet probes from the local node").isTrue();
        assertThat(ingress("192.168.0.2", WEB, Protocol.TCP, 8080)).as("another node is not the local node").isFalse();
        assertThat(egress(WEB, "8.8.8.8", Protocol.UDP, 53)).as("egress not isolated").isTrue();
    }

    @Test
    void egressIsolationDeniesEvenTheNode() {
        addWebAndPeers();
        engine.upsertPolicy(policy("shop", "no-egress", new LabelSelector()).editSpec().withPolicyTypes("Egress").endSpec().build());
        EndpointPolicy web = engine.endpointPolicies().get(WEB);
        assertThat(web.ingressEnforced()).isFalse();
        assertThat(web.egressEnforced()).isTrue();
        assertThat(web.entries()).isEmpty();
        assertThat(egress(WEB, NODE_IP, Protocol.TCP, 10250)).isFalse();
        assertThat(egress(WEB, "10.0.1.1", Protocol.TCP, 80)).isFalse();
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).isTrue();
    }

    @Test
    void policiesSelectingOnePodAddUp() {
        addWebAndPeers();
        engine.upsertPolicy(ingressFrom("shop", "from-api", sel("app", "web"), List.of(peer(null, sel("app", "api"))), tcp(80)));
        engine.upsertPolicy(ingressFrom("shop", "from-blog", new LabelSelector(), List.of(peer(sel("team", "b"), null)), tcp(443)));
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).isTrue();
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 443)).isFalse();
        assertThat(ingress("10.0.1.3", WEB, Protocol.TCP, 443)).isTrue();
        assertThat(ingress("10.0.1.3", WEB, Protocol.TCP, 80)).isFalse();
    }

    @Test
    void endPortRangeBecomesPrefixBlocks() {
        addWebAndPeers();
        engine.upsertPolicy(ingressFrom("shop", "range", sel("app", "web"), List.of(),
                new NetworkPolicyPort(8100, new IntOrString(8000), "TCP")));
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 7999)).isFalse();
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 8000)).isTrue();
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 8100)).isTrue();
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 8101)).isFalse();
        assertThat(ingress("8.8.8.8", WEB, Protocol.UDP, 8050)).isFalse();
        assertThat(engine.endpointPolicies().get(WEB).entries())
                .filteredOn(e -> e.peerIdentity() == Identities.ANY)
                .hasSize(PortRanges.split(8000, 8100).size())
                .allSatisfy(e -> assertThat(e.protocol()).isEqualTo(6));
    }

    @Test
    void ingressNamedPortsResolveOnEachSelectedPod() {
        // Same labels, different numbers for "http": identities cannot tell them apart, the endpoints can.
        engine.upsertPod(pod("shop", "a", NODE, "10.0.0.1", Map.of("app", "web"), port("http", 80, "TCP")));
        engine.upsertPod(pod("shop", "b", NODE, "10.0.0.2", Map.of("app", "web"), port("http", 8080, "TCP")));
        engine.upsertPolicy(ingressFrom("shop", "http", sel("app", "web"), List.of(), tcp("http")));
        PodRef a = new PodRef("shop", "a");
        PodRef b = new PodRef("shop", "b");
        assertThat(ingress("8.8.8.8", a, Protocol.TCP, 80)).isTrue();
        assertThat(ingress("8.8.8.8", a, Protocol.TCP, 8080)).isFalse();
        assertThat(ingress("8.8.8.8", b, Protocol.TCP, 8080)).isTrue();
        assertThat(ingress("8.8.8.8", b, Protocol.TCP, 80)).isFalse();
        // The name must match with its protocol.
        engine.upsertPolicy(ingressFrom("shop", "http", sel("app", "web"), List.of(),
                new NetworkPolicyPort(null, new IntOrString("http"), "UDP")));
        assertThat(ingress("8.8.8.8", a, Protocol.UDP, 80)).isFalse();
        assertThat(ingress("8.8.8.8", a, Protocol.TCP, 80)).isFalse();
    }

    @Test
    void egressNamedPortsResolveOnTheDestination() {
        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web")));
        engine.upsertPod(pod("shop", "db", "node-b", "10.0.1.1", Map.of("app", "db"), port("sql", 5432, "TCP")));
        engine.upsertPod(pod("shop", "cache", "node-b", "10.0.1.2", Map.of("app", "cache"), port("sql", 6379, "TCP")));
        engine.upsertPolicy(policy("shop", "sql", sel("app", "web")).editSpec().withPolicyTypes("Egress")
                .withEgress(new NetworkPolicyEgressRule(List.of(tcp("sql")), null)).endSpec().build());
        assertThat(egress(WEB, "10.0.1.1", Protocol.TCP, 5432)).isTrue();
        assertThat(egress(WEB, "10.0.1.1", Protocol.TCP, 6379)).isFalse();
        assertThat(egress(WEB, "10.0.1.2", Protocol.TCP, 6379)).isTrue();
        assertThat(egress(WEB, "8.8.8.8", Protocol.TCP, 5432)).as("an address has no named ports").isFalse();

        // A new destination pod declaring the name extends the rule to it.
        PolicyChangeSet changes = engine.upsertPod(pod("blog", "pg", "node-b", "10.0.1.3", Map.of("app", "pg"), port("sql", 5433, "TCP")));
        assertThat(changes.endpoints()).containsOnlyKeys(WEB);
        assertThat(egress(WEB, "10.0.1.3", Protocol.TCP, 5433)).isTrue();
    }

    @Test
    void ipBlockExceptAndNestedBlocksOfOtherPoliciesGetTheirOwnIdentities() {
        addWebAndPeers();
        engine.upsertPod(pod("blog", "inside", "node-b", "10.9.0.9", Map.of("app", "x")));
        engine.upsertPolicy(ingressFrom("shop", "ten", sel("app", "web"), List.of(block("10.0.0.0/8", "10.1.0.0/16"))));
        engine.upsertPolicy(ingressFrom("shop", "narrow", sel("app", "web"), List.of(block("10.1.2.0/24")), tcp(443)));

        Map<IpPrefix, Integer> ipcache = engine.ipcache().entries();
        int ten = ipcache.get(IpPrefix.parseCidr("10.0.0.0/8"));
        int except = ipcache.get(IpPrefix.parseCidr("10.1.0.0/16"));
        int narrow = ipcache.get(IpPrefix.parseCidr("10.1.2.0/24"));
        assertThat(List.of(ten, except, narrow)).doesNotHaveDuplicates().allMatch(Identities::isCidr);

        assertThat(ingress("10.5.5.5", WEB, Protocol.TCP, 80)).isTrue();
        assertThat(ingress("10.1.5.5", WEB, Protocol.TCP, 80)).as("excepted").isFalse();
        assertThat(ingress("10.1.2.3", WEB, Protocol.TCP, 443)).as("inside the except, but in another policy's block").isTrue();
        assertThat(ingress("10.1.2.3", WEB, Protocol.TCP, 80)).as("that block allows only 443").isFalse();
        assertThat(ingress("10.9.0.9", WEB, Protocol.TCP, 80)).as("a pod inside the block is known as a pod").isFalse();
        assertThat(ingress("11.0.0.1", WEB, Protocol.TCP, 80)).isFalse();
        assertThat(ingress("2001:db8::1", WEB, Protocol.TCP, 80)).as("IPv6 is outside an IPv4 block").isFalse();

        // Deleting the narrow policy removes its prefix from the ipcache; 10.1.2.3 is excepted again.
        PolicyChangeSet changes = engine.deletePolicy(new PolicyRef("shop", "narrow"));
        assertThat(changes.ipcache().deletions()).containsExactly(IpPrefix.parseCidr("10.1.2.0/24"));
        assertThat(ingress("10.1.2.3", WEB, Protocol.TCP, 443)).isFalse();
    }

    @Test
    void ipv6BlocksWork() {
        addWebAndPeers();
        engine.upsertPolicy(ingressFrom("shop", "v6", sel("app", "web"), List.of(block("2001:db8::/32", "2001:db8:1::/48"))));
        assertThat(ingress("2001:db8::5", WEB, Protocol.TCP, 80)).isTrue();
        assertThat(ingress("2001:db8:1::5", WEB, Protocol.TCP, 80)).isFalse();
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).isFalse();
    }

    @Test
    void aLabelChangeMovesTheIdentityAndRecompilesOnlyDependentEndpoints() {
        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web")));
        engine.upsertPod(pod("shop", "db", NODE, "10.0.0.11", Map.of("app", "db")));
        engine.upsertPod(pod("shop", "lone", NODE, "10.0.0.12", Map.of("app", "lone")));
        engine.upsertPod(pod("shop", "client", "node-b", "10.0.1.1", Map.of("app", "x")));
        engine.upsertPod(pod("shop", "client2", "node-b", "10.0.1.2", Map.of("app", "api")));
        engine.upsertPolicy(ingressFrom("shop", "web", sel("app", "web"), List.of(peer(null, sel("app", "api")))));
        engine.upsertPolicy(ingressFrom("shop", "db", sel("app", "db"), List.of(peer(null, sel("app", "backup")))));
        int before = engine.ipcache().lookup(IpPrefix.parseAddress("10.0.1.1"));
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).isFalse();

        // client becomes app=api, a label set that already has an identity (client2's): only the ipcache moves.
        PolicyChangeSet changes = engine.upsertPod(pod("shop", "client", "node-b", "10.0.1.1", Map.of("app", "api")));
        int after = engine.ipcache().lookup(IpPrefix.parseAddress("10.0.1.1"));
        assertThat(after).isNotEqualTo(before).isEqualTo(engine.ipcache().lookup(IpPrefix.parseAddress("10.0.1.2")));
        assertThat(changes.ipcache().upserts()).containsExactly(Map.entry(IpPrefix.parseAddress("10.0.1.1"), after));
        assertThat(changes.endpoints()).isEmpty();
        assertThat(ingress("10.0.1.1", WEB, Protocol.TCP, 80)).isTrue();
        assertThat(engine.identities().labelsOf(before)).as("x identity freed").isNull();

        // client2 becomes app=backup, a new identity: db's policy selects it, web's loses it; lone is untouched.
        changes = engine.upsertPod(pod("shop", "client2", "node-b", "10.0.1.2", Map.of("app", "backup")));
        assertThat(changes.endpoints()).containsOnlyKeys(new PodRef("shop", "db"));
        assertThat(ingress("10.0.1.2", new PodRef("shop", "db"), Protocol.TCP, 80)).isTrue();
        assertThat(ingress("10.0.1.2", WEB, Protocol.TCP, 80)).isFalse();

        // The last api pod leaves: its identity goes, web's entries shrink.
        changes = engine.deletePod(new PodRef("shop", "client"));
        assertThat(changes.endpoints()).containsOnlyKeys(WEB);
        assertThat(changes.ipcache().deletions()).containsExactly(IpPrefix.parseAddress("10.0.1.1"));
    }

    @Test
    void aLocalPodsOwnLabelChangeChangesWhichPoliciesSelectIt() {
        engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web")));
        engine.upsertPolicy(policy("shop", "deny-web", sel("app", "web")).build());
        assertThat(engine.endpointPolicies().get(WEB).ingressEnforced()).isTrue();
        PolicyChangeSet changes = engine.upsertPod(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "other")));
        assertThat(changes.endpoints().get(WEB).ingressEnforced()).isFalse();
        assertThat(changes.endpoints().get(WEB).entries()).isEmpty();
    }

    @Test
    void aNamespaceLabelChangeMovesItsPods() {
        addWebAndPeers();
        engine.upsertPolicy(ingressFrom("shop", "from-a", sel("app", "web"), List.of(peer(sel("team", "a"), null))));
        assertThat(ingress("10.0.1.2", WEB, Protocol.TCP, 80)).isFalse();
        PolicyChangeSet changes = engine.upsertNamespace(namespace("blog", Map.of("team", "a")));
        assertThat(changes.endpoints()).containsOnlyKeys(WEB);
        assertThat(changes.ipcache().upserts()).containsOnlyKeys(
                IpPrefix.parseAddress("10.0.1.2"), IpPrefix.parseAddress("10.0.1.3"));
        assertThat(ingress("10.0.1.2", WEB, Protocol.TCP, 80)).isTrue();
    }

    @Test
    void aRefusedUpdateKeepsTheAcceptedVersionAndOtherPoliciesStillApply() {
        addWebAndPeers();
        engine.upsertPolicy(ingressFrom("shop", "p1", sel("app", "web"), List.of(), tcp(80)));
        NetworkPolicy broken = ingressFrom("shop", "p1", sel("app", "web"), List.of(), tcp(80),
                new NetworkPolicyPort(8000, new IntOrString(9000), "TCP"));
        PolicyChangeSet changes = engine.upsertPolicy(broken);
        assertThat(changes.refusals()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo("NetworkPolicy");
            assertThat(r.namespace() + "/" + r.name()).isEqualTo("shop/p1");
            assertThat(r.field()).isEqualTo("spec.ingress[0].ports[1].endPort");
            assertThat(r.reason()).isEqualTo(RefusalReason.END_PORT_BEFORE_PORT);
            assertThat(r.reason().metricLabel()).isEqualTo("end_port_before_port");
            assertThat(r.message()).contains("shop/p1", "spec.ingress[0].ports[1].endPort", "8000");
        });
        assertThat(changes.endpoints()).isEmpty();
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 80)).as("the accepted version stays").isTrue();
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 9000)).as("nothing of the refused version").isFalse();

        engine.upsertPolicy(ingressFrom("shop", "p2", sel("app", "web"), List.of(), tcp(443)));
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 443)).isTrue();
        assertThat(engine.refusals()).hasSize(1);

        // A brand-new invalid policy is simply absent.
        engine.upsertPolicy(ingressFrom("shop", "p3", new LabelSelector(), List.of(block("10.0.0.0/40"))));
        assertThat(engine.acceptedPolicies()).containsOnlyKeys(new PolicyRef("shop", "p1"), new PolicyRef("shop", "p2"));
        assertThat(engine.refusals()).hasSize(2);

        engine.upsertPolicy(ingressFrom("shop", "p1", sel("app", "web"), List.of(), tcp(81)));
        engine.deletePolicy(new PolicyRef("shop", "p3"));
        assertThat(engine.refusals()).isEmpty();
        assertThat(ingress("8.8.8.8", WEB, Protocol.TCP, 81)).isTrue();
    }

    @Test
    void hostNetworkAndFinishedPodsAreNotEndpoints() {
        Pod hostNet = new PodBuilder(pod("shop", "agent", NODE, NODE_IP, Map.of("app", "agent")))
                .editSpec().withHostNetwork(true).endSpec().build();
        PolicyChangeSet changes = engine.upsertPod(hostNet);
        assertThat(changes.endpoints()).isEmpty();
        assertThat(engine.ipcache().lookup(IpPrefix.parseAddress(NODE_IP))).isEqualTo(Identities.HOST);

        engine.upsertPod(pod("shop", "job", NODE, "10.0.0.20", Map.of("app", "job")));
        int endpointId = engine.endpointPolicies().get(new PodRef("shop", "job")).endpointId();
        changes = engine.upsertPod(new PodBuilder(pod("shop", "job", NODE, "10.0.0.20", Map.of("app", "job")))
                .editStatus().withPhase("Succeeded").endStatus().build());
        assertThat(changes.removedEndpoints()).containsExactly(Map.entry(new PodRef("shop", "job"), endpointId));
        assertThat(changes.ipcache().deletions()).containsExactly(IpPrefix.parseAddress("10.0.0.20"));
    }

    @Test
    void aBadPodIpIsRefusedAndThePodStillCounts() {
        Pod pod = new PodBuilder(pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web")))
                .editStatus().addNewPodIP().withIp("10.0.0.999").endPodIP().endStatus().build();
        PolicyChangeSet changes = engine.upsertPod(pod);
        assertThat(changes.refusals()).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("status.podIPs[1].ip");
            assertThat(r.reason()).isEqualTo(RefusalReason.INVALID_POD_IP);
        });
        assertThat(changes.endpoints()).containsKey(WEB);
        assertThat(engine.ipcache().entries()).containsKey(IpPrefix.parseAddress("10.0.0.10"));
    }

    @Test
    void aRestartedEngineOverTheSameStoreKeepsIdentitiesAndEndpointIds() {
        IdentityStore store = new InMemoryIdentityStore();
        PolicyEngine first = new PolicyEngine(NODE, store);
        Pod web = pod("shop", "web", NODE, "10.0.0.10", Map.of("app", "web"));
        Pod db = pod("shop", "db", NODE, "10.0.0.11", Map.of("app", "db"));
        NetworkPolicy p = ingressFrom("shop", "p", new LabelSelector(), List.of(block("10.0.0.0/8")));
        first.upsertPod(web);
        first.upsertPod(db);
        first.upsertPolicy(p);

        PolicyEngine second = new PolicyEngine(NODE, store);
        second.upsertPolicy(p);
        second.upsertPod(db); // other order on purpose
        second.upsertPod(web);
        assertThat(second.completeInitialSync()).isZero();
        assertThat(second.ipcache().entries()).isEqualTo(first.ipcache().entries());
        assertThat(second.endpointPolicies()).isEqualTo(first.endpointPolicies());
    }
}
