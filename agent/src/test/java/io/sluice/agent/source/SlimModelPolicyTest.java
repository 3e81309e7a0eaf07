package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.policy.InMemoryIdentityStore;
import io.sluice.policy.PolicyEngine;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The policy engine makes the same of Pods and Namespaces read with only the fields the agent uses ({@link SlimModel},
 * the agent's serialization) as of the same documents read whole by fabric8's default serialization: endpoints on this
 * node with their rules (named ports resolved on each Pod), identities and addresses in the ipcache, refusals. The
 * documents vary what the engine reads (node, host network, phase, addresses good and bad, named container ports and
 * their protocols, labels) among fields it does not (env, volumes, probes, init containers' ports, conditions).
 */
class SlimModelPolicyTest {
    private static final String NODE = "node-1";
    /** Ingress to app=db on its named port "db" from app=web, egress from app=web to the named port "dns". */
    private static final String POLICIES = """
            [{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"db","namespace":"shop"},
              "spec":{"podSelector":{"matchLabels":{"app":"db"}},"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":
              {"matchLabels":{"app":"web"}}}],"ports":[{"port":"db"},{"port":"metrics","protocol":"UDP"}]}]}},
             {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"web","namespace":"shop"},
              "spec":{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Egress"],"egress":[{"to":[{"podSelector":
              {}}],"ports":[{"port":"dns","protocol":"UDP"},{"port":"db"}]}]}}]""";
    private static final String NAMESPACE = """
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","uid":"0b6f","labels":{"team":"red"},
             "annotations":{"a":"b"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}""";

    private final KubernetesSerialization agent = KubernetesSource.serialization();
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();

    @Property(tries = 60)
    void thePolicyEngineMakesTheSameOfSlimPodsAsOfWholeOnes(@ForAll("pods") List<String> pods) {
        PolicyEngine slim = engine(agent, pods);
        PolicyEngine whole = engine(fabric8, pods);

        assertThat(slim.endpointPolicies()).isEqualTo(whole.endpointPolicies());
        assertThat(slim.ipcache().entries()).isEqualTo(whole.ipcache().entries());
        assertThat(slim.refusals()).containsExactlyInAnyOrderElementsOf(whole.refusals());
    }

    private PolicyEngine engine(KubernetesSerialization serialization, List<String> pods) {
        PolicyEngine engine = new PolicyEngine(NODE, new InMemoryIdentityStore());
        engine.upsertNamespace(serialization.unmarshal(NAMESPACE, Namespace.class));
        for (NetworkPolicy policy : fabric8.unmarshal(POLICIES, NetworkPolicy[].class)) {
            engine.upsertPolicy(policy);
        }
        for (String pod : pods) {
            engine.upsertPod(serialization.unmarshal(pod, Pod.class));
        }
        engine.completeInitialSync();
        return engine;
    }

    @Provide
    Arbitrary<List<String>> pods() {
        Arbitrary<String> name = Arbitraries.of("a", "b", "c", "d");
        Arbitrary<String> node = Arbitraries.of(NODE, "node-2", null);
        Arbitrary<String> hostNetwork = Arbitraries.of("", "\"hostNetwork\":true,", "\"hostNetwork\":false,");
        Arbitrary<String> phase = Arbitraries.of("Running", "Pending", "Succeeded", "Failed", "Unknown");
        Arbitrary<String> app = Arbitraries.of("web", "db", "cache");
        Arbitrary<String> addresses = Arbitraries.of(
                "\"podIP\":\"10.0.0.%1$d\",\"podIPs\":[{\"ip\":\"10.0.0.%1$d\"}]",
                "\"podIP\":\"10.0.0.%1$d\"",
                "\"podIPs\":[{\"ip\":\"fd00::%1$d\"},{\"ip\":\"10.0.1.%1$d\"}]",
                "\"podIPs\":[{\"ip\":\"10.0.0.%1$d.7\"}]",
                "\"podIP\":\"\"");
        Arbitrary<String> ports = Combinators.combine(Arbitraries.of("db", "dns", "metrics", ""),
                        Arbitraries.of("", ",\"protocol\":\"TCP\"", ",\"protocol\":\"UDP\"", ",\"protocol\":\"SCTP\"", ",\"protocol\":\"ICMP\""),
                        Arbitraries.of(53, 5432, 9090, 0, 70000))
                .as((portName, protocol, number) -> "{\"name\":\"%s\",\"containerPort\":%d%s,\"hostPort\":%d}"
                        .formatted(portName, number, protocol, number))
                .list().ofMaxSize(3).map(list -> String.join(",", list));
        Arbitrary<String> pod = Combinators.combine(name, node, hostNetwork, phase, app, addresses, ports,
                        Arbitraries.integers().between(1, 9))
                .as((podName, nodeName, host, podPhase, label, ips, containerPorts, n) -> """
                        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"shop","uid":"u-%d",
                         "generateName":"x-","labels":{"app":"%s","pod-template-hash":"7d9f"},"ownerReferences":[{
                         "apiVersion":"apps/v1","kind":"ReplicaSet","name":"x","uid":"r","controller":true}]},
                         "spec":{%s%s"containers":[{"name":"main","image":"i","ports":[%s],"env":[{"name":"E","value":"v"}],
                         "readinessProbe":{"httpGet":{"path":"/","port":"db"}},"volumeMounts":[{"name":"v","mountPath":"/v"}]}],
                         "initContainers":[{"name":"init","image":"i","ports":[{"name":"db","containerPort":1111}]}],
                         "volumes":[{"name":"v","emptyDir":{}}],"tolerations":[{"operator":"Exists"}]},
                         "status":{"phase":"%s",%s,"hostIP":"192.0.2.1","conditions":[{"type":"Ready","status":"True"}],
                         "containerStatuses":[{"name":"main","ready":true,"restartCount":0,"image":"i","imageID":"d"}]}}"""
                        .formatted(podName, n, label, nodeName == null ? "" : "\"nodeName\":\"" + nodeName + "\",", host,
                                containerPorts, podPhase, ips.formatted(n)));
        return pod.list().ofMinSize(1).ofMaxSize(8);
    }
}
