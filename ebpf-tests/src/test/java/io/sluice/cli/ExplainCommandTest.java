package io.sluice.cli;

import static io.sluice.cli.ExplainNode.A;
import static io.sluice.cli.ExplainNode.B;
import static io.sluice.cli.ExplainNode.C;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.cli.CliJson;
import io.sluice.maps.Ct4Entry;
import io.sluice.maps.Ct4Key;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ep4Key;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.Node4Config;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDatapathState;
import io.sluice.maps.PolicyDirection;
import io.sluice.maps.PolicyWritePlan;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Listener;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Traffic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * {@code sluice explain} on a node whose pod veths carry the pod programs: for each probe (a service DNAT over TCP
 * and UDP, services without backends, a policy drop and a policy allow) the verdict explain reports is what real
 * traffic between the pods then meets, explain names the frontend, backend and deciding policy entry, and it
 * leaves the flow maps exactly as it found them.
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExplainCommandTest {
    private static final String WEB = "198.18.100.10";
    private static final String EMPTY = "198.18.100.11";
    private static final String DNS = "198.18.100.12";
    private static final String EMPTY_DNS = "198.18.100.13";
    /** A service whose only backend is pod a itself: a's connections to it hairpin. */
    private static final String SELF = "198.18.100.14";
    /** The source of hairpinned flows: no address of the node, routed back to it from the pods. */
    private static final String HAIRPIN = "198.18.255.254";
    private static final int ID_A = 256;
    private static final int ID_B = 257;
    private static final int ID_C = 258;
    private static final int EP_C = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private ExplainNode node;
    private final List<Listener> listeners = new ArrayList<>();

    @BeforeAll
    void programTheNode() {
        node = new ExplainNode();
        var s = node.services;
        s.putBackend(1, new Lb4Backend(Ipv4.parse(B), 8080, IpProtocol.TCP, DatapathConstants.LB_BACKEND_F_LOCAL));
        s.putBackend(2, new Lb4Backend(Ipv4.parse(B), 5353, IpProtocol.UDP, DatapathConstants.LB_BACKEND_F_LOCAL));
        s.putService(new Lb4Key(Ipv4.parse(WEB), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(1, 1, 0, 0), List.of(1), 0);
        s.putService(new Lb4Key(Ipv4.parse(EMPTY), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(2, 0, 0, 0), List.of(), 0);
        s.putService(new Lb4Key(Ipv4.parse(DNS), 53, IpProtocol.UDP, LbScope.INTERNAL),
                new Lb4Service(3, 1, DatapathConstants.LB_F_AFFINITY, 60), List.of(2), 0);
        s.putService(new Lb4Key(Ipv4.parse(EMPTY_DNS), 53, IpProtocol.UDP, LbScope.INTERNAL), new Lb4Service(4, 0, 0, 0), List.of(), 0);
        s.putBackend(3, new Lb4Backend(Ipv4.parse(A), 7070, IpProtocol.TCP, DatapathConstants.LB_BACKEND_F_LOCAL));
        s.putService(new Lb4Key(Ipv4.parse(SELF), 80, IpProtocol.TCP, LbScope.INTERNAL), new Lb4Service(5, 1, 0, 0), List.of(3), 0);
        node.nodeConfig.put(new Node4Config(Ipv4.parse("198.18.1.1"), Ipv4.parse(HAIRPIN)));

        Ipv4 a = Ipv4.parse(A);
        Ipv4 b = Ipv4.parse(B);
        Ipv4 c = Ipv4.parse(C);
        int lxcA = node.veth("lxc-a");
        int lxcB = node.veth("lxc-b");
        int lxcC = node.veth("lxc-c");
        PolicyDatapathState state = new PolicyDatapathState(
                Map.of(Ipcache4Key.host(a), ID_A, Ipcache4Key.host(b), ID_B, Ipcache4Key.host(c), ID_C),
                Map.of(a, new Ep4Info(ID_A, lxcA, 1, 0), b, new Ep4Info(ID_B, lxcB, 2, 0),
                        c, new Ep4Info(ID_C, lxcC, EP_C, PolicyConstants.EP_F_INGRESS_ENFORCED)),
                Map.of(lxcA, a, lxcB, b, lxcC, c),
                Set.of(Policy4Key.portBlock(EP_C, PolicyDirection.INGRESS, ID_A, 6, 8080, 16)));
        node.policy.apply(PolicyWritePlan.between(PolicyDatapathState.empty(), state));

        listeners.add(Traffic.tcpListener(node.b, 8080, "b"));
        listeners.add(Traffic.udpResponder(node.b, 5353, "b"));
        listeners.add(Traffic.tcpListener(node.c, 8080, "c"));
        listeners.add(Traffic.tcpListener(node.c, 9090, "c"));
        listeners.add(Traffic.tcpListener(node.a, 7070, "a"));
    }

    @BeforeEach
    void forgetEarlierFlows() {
        ExplainNode.FlowState flows = node.flowState();
        node.conntrack.conntrack().removeAll(flows.conntrack().keySet());
        node.policy.conntrack().removeAll(flows.policyConntrack().keySet());
        node.conntrack.affinity().removeAll(flows.affinity().keySet());
    }

    @AfterAll
    void removeTheNode() {
        listeners.forEach(Listener::close);
        if (node != null) {
            node.close();
        }
    }

    private JsonNode explainJson(String source, String destination) {
        ExplainNode.FlowState before = node.flowState();
        CliRunner.Result result = node.explain(source, destination, "-o", "json");
        assertThat(result.err()).isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(node.flowState()).as("explain leaves no flow state behind").isEqualTo(before);
        return CliJson.MAPPER.readTree(result.out());
    }

    private RequestOutcome traffic(String destination) {
        String[] hostPort = destination.split("/")[0].split(":");
        int port = Integer.parseInt(hostPort[1]);
        return destination.endsWith("/udp") ? Traffic.udpRequest(node.a, hostPort[0], port, TIMEOUT)
                : Traffic.tcpRequest(node.a, hostPort[0], port, TIMEOUT);
    }

    @Test
    void explainAgreesWithRealTraffic() {
        record Probe(String destination, String verdict, String answeredBy) {
        }
        List<Probe> probes = List.of(
                new Probe(WEB + ":80/tcp", "delivered", "b"),
                new Probe(DNS + ":53/udp", "delivered", "b"),
                new Probe(EMPTY + ":80/tcp", "refused", null),
                new Probe(EMPTY_DNS + ":53/udp", "refused", null),
                new Probe(C + ":8080/tcp", "delivered", "c"),
                new Probe(C + ":9090/tcp", "dropped", null),
                new Probe(SELF + ":80/tcp", "delivered", "a"));

        for (Probe probe : probes) {
            JsonNode explained = explainJson(A, probe.destination());
            assertThat(explained.get("verdict").asString()).as("explain " + probe.destination()).isEqualTo(probe.verdict());

            RequestOutcome real = traffic(probe.destination());
            switch (probe.verdict()) {
                case "delivered" -> assertThat(real).as("traffic to " + probe.destination())
                        .isEqualTo(new RequestOutcome.Answered(probe.answeredBy()));
                case "refused" -> assertThat(real).as("traffic to " + probe.destination()).isInstanceOf(RequestOutcome.Refused.class);
                default -> assertThat(real).as("traffic to " + probe.destination()).isInstanceOf(RequestOutcome.TimedOut.class);
            }
        }
    }

    @Test
    void namesTheFrontendTheBackendAndTheTranslatedPacket() {
        JsonNode e = explainJson(A, WEB + ":80/tcp");

        assertThat(e.at("/probe/sourcePort").asInt()).isEqualTo(50000);
        assertThat(e.at("/frontend/frontend").asString()).isEqualTo(WEB + ":80/TCP");
        assertThat(e.at("/frontend/serviceId").asInt()).isEqualTo(1);
        assertThat(e.at("/backend/id").asInt()).isEqualTo(1);
        assertThat(e.at("/backend/address").asString()).isEqualTo(B);
        assertThat(e.at("/backend/newFlow").asBoolean()).isTrue();
        assertThat(e.at("/stages/0/program").asString()).isEqualTo("from_pod");
        assertThat(e.at("/stages/0/verdict").asString()).isEqualTo("TC_ACT_OK");
        assertThat(e.at("/stages/0/output/text").asString()).isEqualTo("TCP " + A + ":50000 > " + B + ":8080 [SYN]");
        assertThat(e.at("/stages/0/policy/why").asString()).contains("does not enforce egress");
        assertThat(e.at("/stages/1/program").asString()).isEqualTo("to_pod");
        assertThat(e.at("/stages/1/interface").asString()).isEqualTo("lxc-b");
        assertThat(e.at("/stages/1/ingressIfindex").asInt()).isEqualTo(node.veth("lxc-a"));
        assertThat(e.at("/source/identity").asInt()).isEqualTo(ID_A);
        assertThat(e.at("/destination/identity").asInt()).isEqualTo(ID_B);
        assertThat(e.at("/destination/endpoint/interface").asString()).isEqualTo("lxc-b");
        assertThat(e.at("/cleanup/conntrackRemoved").asInt()).as("forward and reply entry").isEqualTo(2);
        assertThat(e.at("/cleanup/policyConntrackRemoved").asInt()).isEqualTo(1);
    }

    @Test
    void namesThePolicyEntryThatAllowsAndTheDefaultThatDenies() {
        JsonNode allowed = explainJson(A, C + ":8080/tcp");
        assertThat(allowed.at("/stages/1/policy/checked").asBoolean()).isTrue();
        assertThat(allowed.at("/stages/1/policy/peerIdentity").asInt()).isEqualTo(ID_A);
        assertThat(allowed.at("/stages/1/policy/lookups/0/entry/firstPort").asInt()).isEqualTo(8080);
        assertThat(allowed.at("/stages/1/policy/allowed").asBoolean()).isTrue();

        JsonNode denied = explainJson(A, C + ":9090/tcp");
        assertThat(denied.at("/stages/1/verdict").asString()).isEqualTo("TC_ACT_SHOT");
        assertThat(denied.at("/stages/1/policy/lookups")).hasSize(2);
        assertThat(denied.at("/stages/1/policy/lookups/1/identity").asInt()).as("then any peer").isZero();
        assertThat(denied.at("/reason").asString()).isEqualTo("ingress policy of endpoint 3 (" + C
                + ") denies it: no policy4 entry allows peer identity 256 or any peer");
    }

    @Test
    void theTextFormatReadsAsTheGoldenFiles() {
        String web = node.explain(A, WEB + ":80/tcp").out();
        String drop = node.explain(A, C + ":9090/tcp").out();
        String refused = node.explain(A, EMPTY_DNS + ":53/udp").out();

        Golden.assertMatches("explain-service.txt", withVethNames(web));
        Golden.assertMatches("explain-policy-drop.txt", withVethNames(drop));
        Golden.assertMatches("explain-refused.txt", withVethNames(refused));
    }

    /** Interface indexes differ from run to run: the text names them by veth. */
    private String withVethNames(String text) {
        String out = text;
        for (String veth : List.of("lxc-a", "lxc-b", "lxc-c")) {
            out = out.replace("ifindex " + node.veth(veth) + ")", "ifindex <" + veth + ">)")
                    .replace("ifindex " + node.veth(veth) + ";", "ifindex <" + veth + ">;");
        }
        return out;
    }

    @Test
    void aPortOfATrackedFlowIsExplainedAsItsNextPacketAndWrittenBack() {
        Ct4Key forward = new Ct4Key(Ipv4.parse(A), Ipv4.parse(WEB), 41000, 80, IpProtocol.TCP);
        node.conntrack.conntrack().put(forward, new Ct4Entry(Ipv4.parse(B), 8080, DatapathConstants.CT_F_SERVICE, 1, 1));
        // The reply entry is missing (as after an LRU eviction): a SYN of the known flow restores it.

        JsonNode e = explainJson(A + ":41000", WEB + ":80/tcp");

        assertThat(e.at("/backend/newFlow").asBoolean()).isFalse();
        assertThat(e.at("/cleanup/conntrackRemoved").asInt()).as("the restored reply entry").isEqualTo(1);
        assertThat(e.at("/notes/0").asString()).startsWith("source port 41000 belongs to a tracked flow");
    }

    @Test
    void aPodReachingItselfThroughAServiceIsSourceNatedAndTurnedBack() {
        JsonNode e = explainJson(A, SELF + ":80/tcp");

        assertThat(e.at("/stages/0/verdict").asString()).isEqualTo("TC_ACT_REDIRECT");
        assertThat(e.at("/stages/0/output/source").asString()).isEqualTo(HAIRPIN);
        assertThat(e.at("/stages/0/output/destination").asString()).isEqualTo(A);
        assertThat(e.at("/stages/1/program").asString()).isEqualTo("to_pod");
        assertThat(e.at("/stages/1/interface").asString()).isEqualTo("lxc-a");
        assertThat(e.at("/stages/1/policy/checked").asBoolean()).isFalse();
        assertThat(e.get("verdict").asString()).isEqualTo("delivered");
        assertThat(e.at("/cleanup/conntrackRemoved").asInt()).as("forward entry and the SNAT reply entry").isEqualTo(2);
    }

    @Test
    void aDestinationThatIsNoPodHereLeavesTheNode() {
        JsonNode e = explainJson(A, "198.18.60.7:443/tcp");

        assertThat(e.at("/stages")).hasSize(1);
        assertThat(e.get("verdict").asString()).isEqualTo("leaves-node");
        assertThat(e.at("/destination/endpoint").isNull()).isTrue();
        assertThat(e.at("/frontend").isNull()).isTrue();
    }

    @Test
    void aSourceThatIsNoPodHereIsOnlySeenAtTheDestination() {
        JsonNode e = explainJson("198.18.50.9", C + ":8080/tcp");

        assertThat(e.at("/stages")).hasSize(1);
        assertThat(e.at("/stages/0/program").asString()).isEqualTo("to_pod");
        assertThat(e.at("/stages/0/policy/peerIdentity").asInt()).as("no prefix: world").isEqualTo(PolicyConstants.IDENTITY_WORLD);
        assertThat(e.get("verdict").asString()).isEqualTo("dropped");
        assertThat(e.at("/notes/0").asString()).startsWith("198.18.50.9 is not an endpoint of this node");
    }

    @Test
    void badInputAndAMissingVethAreNamed() {
        assertThat(node.explain("198.18.1", WEB + ":80/tcp").err())
                .isEqualTo("error: SRC: not an IPv4 address: '198.18.1'\n");
        assertThat(node.explain(A, WEB + "/tcp").err())
                .isEqualTo("error: DST:PORT/PROTO: '" + WEB + "/tcp' has no port (e.g. 10.96.0.10:80/tcp)\n");
        assertThat(node.explain(A, WEB + ":80/sctp").err())
                .isEqualTo("error: DST:PORT/PROTO: protocol 'sctp' is neither tcp nor udp\n");

        Ep4Key ghost = new Ep4Key(Ipv4.parse("198.18.1.99"));
        node.policy.endpoints().put(ghost, new Ep4Info(ID_A, 999_999, 9, 0));
        CliRunner.Result gone = node.explain("198.18.1.99", WEB + ":80/tcp");
        node.policy.endpoints().remove(ghost);
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.err()).isEqualTo("error: the veth of endpoint 198.18.1.99 (ifindex 999999) is not in this"
                + " network namespace: run explain in the node's namespace (--netns NAME)\n");
    }
}
