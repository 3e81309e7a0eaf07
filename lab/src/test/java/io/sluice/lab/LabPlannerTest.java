package io.sluice.lab;

import static io.sluice.lab.Manifests.pod;
import static io.sluice.lab.Manifests.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabPlannerTest {
    @TempDir
    Path dir;

    private LabPlan plan(int nodes, String... documents) {
        return LabPlanner.plan("lab", Manifests.of(dir, documents), nodes, Assignments.none());
    }

    private static Map<String, LabPod> byKey(LabPlan plan) {
        return plan.pods().stream().collect(Collectors.toMap(LabPod::key, p -> p));
    }

    private static <T extends HasMetadata> List<T> objects(LabPlan plan, Class<T> type) {
        return plan.objects().stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void unpinnedPodsSpreadOverTheNodesWithAddressesFromTheirNodesCidr() {
        LabPlan plan = plan(2, pod("x", "a", "web"), pod("x", "b", "web"), pod("x", "c", "web"), pod("y", "a", "db"));
        Map<String, LabPod> pods = byKey(plan);
        assertThat(pods.get("x/a").node()).isEqualTo("lab-1");
        assertThat(pods.get("x/b").node()).isEqualTo("lab-2");
        assertThat(pods.get("x/c").node()).isEqualTo("lab-1");
        assertThat(pods.get("y/a").node()).isEqualTo("lab-2");
        assertThat(pods.get("x/a").address()).isEqualTo("198.19.1.2");
        assertThat(pods.get("x/c").address()).isEqualTo("198.19.1.3");
        assertThat(pods.get("x/b").address()).isEqualTo("198.19.2.2");
        assertThat(pods.get("x/a").ports()).containsExactly(new PodPort("TCP", 8080), new PodPort("UDP", 53));
        assertThat(pods.get("x/a").networkNamespace()).isEqualTo("lab-x-a");
        assertThat(plan.pods()).extracting(LabPod::hostInterface)
                .allSatisfy(i -> assertThat(i).startsWith("lxc").hasSize(15))
                .doesNotHaveDuplicates();
    }

    @Test
    void nodeNameAndPodIpFromTheManifestsAreKept() {
        LabPlan plan = plan(3,
                pod("x", "a", "web", "nodeName: lab-3", ""),
                pod("x", "b", "web", "", "status:\n  podIP: 198.19.2.77"),
                pod("x", "c", "web"));
        Map<String, LabPod> pods = byKey(plan);
        assertThat(pods.get("x/a").node()).isEqualTo("lab-3");
        assertThat(pods.get("x/b").node()).as("the node whose pod CIDR holds the podIP").isEqualTo("lab-2");
        assertThat(pods.get("x/b").address()).isEqualTo("198.19.2.77");
        assertThat(pods.get("x/c").node()).as("the node with the fewest pods").isEqualTo("lab-1");
        Pod b = objects(plan, Pod.class).stream().filter(p -> p.getMetadata().getName().equals("b")).findFirst().orElseThrow();
        assertThat(b.getSpec().getNodeName()).isEqualTo("lab-2");
        assertThat(b.getStatus().getHostIP()).isEqualTo("198.19.0.2");
        assertThat(b.getStatus().getPhase()).isEqualTo("Running");
        assertThat(b.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Ready");
            assertThat(c.getStatus()).isEqualTo("True");
        });
        assertThat(b.getMetadata().getUid()).isNotBlank();
    }

    @Test
    void badPodsAreRefusedNamingFileObjectAndField() {
        assertThatThrownBy(() -> plan(2,
                pod("x", "a", "web", "nodeName: lab-7", ""),
                pod("x", "b", "web", "", "status:\n  podIP: 10.0.0.1"),
                pod("x", "c", "web", "nodeName: lab-1", "status:\n  podIP: 198.19.2.5"),
                pod("x", "d", "web", "", "status:\n  podIP: 198.19.1.1"),
                pod("x", "e", "web", "hostNetwork: true", "")))
                .isInstanceOfSatisfying(LabInputException.class, e -> assertThat(e.problems()).satisfiesExactly(
                        p -> assertThat(p).contains("test.yaml:1", "Pod x/a", "spec.nodeName", "lab-7"),
                        p -> assertThat(p).contains("Pod x/b", "status.podIP", "10.0.0.1", "no node's pod CIDR"),
                        p -> assertThat(p).contains("Pod x/c", "status.podIP", "lab-2", "spec.nodeName is lab-1"),
                        p -> assertThat(p).contains("Pod x/d", "status.podIP", "reserved"),
                        p -> assertThat(p).contains("Pod x/e", "spec.hostNetwork")));
    }

    @Test
    void aDuplicatePodIpAndABadContainerPortAreRefused() {
        String badPort = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                  namespace: x
                spec:
                  containers:
                    - name: c
                      image: i
                    - name: d
                      image: i
                      ports:
                        - containerPort: 70000
                """;
        assertThatThrownBy(() -> plan(2, badPort,
                pod("x", "a", "web", "", "status:\n  podIP: 198.19.1.9"),
                pod("x", "b", "web", "", "status:\n  podIP: 198.19.1.9")))
                .isInstanceOfSatisfying(LabInputException.class, e -> assertThat(e.problems()).satisfiesExactlyInAnyOrder(
                        p -> assertThat(p).contains("Pod x/p", "spec.containers[1].ports[0].containerPort", "70000"),
                        p -> assertThat(p).contains("Pod x/b", "status.podIP", "already another pod's")));
    }

    @Test
    void servicesGetClusterIpsNodePortsAndDefaultsAsTheApiServerWouldGiveThem() {
        LabPlan plan = plan(2, pod("x", "a", "web"),
                service("x", "web", "web", "ports:\n    - port: 80\n      targetPort: http"),
                service("x", "np", "web", "type: NodePort\n  ports:\n    - port: 80\n      protocol: UDP\n      targetPort: 53"),
                service("x", "fixed", "web", "clusterIP: 198.19.240.1\n  ports:\n    - port: 81"));
        Map<String, Service> services = objects(plan, Service.class).stream()
                .collect(Collectors.toMap(s -> s.getMetadata().getName(), s -> s));
        assertThat(services.get("fixed").getSpec().getClusterIP()).isEqualTo("198.19.240.1");
        assertThat(services.get("np").getSpec().getClusterIP()).as("the lowest free").isEqualTo("198.19.240.2");
        assertThat(services.get("web").getSpec().getClusterIP()).isEqualTo("198.19.240.3");
        assertThat(services.get("web").getSpec().getClusterIPs()).containsExactly("198.19.240.3");
        assertThat(services.get("web").getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(services.get("web").getSpec().getSessionAffinity()).isEqualTo("None");
        assertThat(services.get("web").getSpec().getPorts().getFirst().getProtocol()).isEqualTo("TCP");
        assertThat(services.get("fixed").getSpec().getPorts().getFirst().getTargetPort().getIntVal()).isEqualTo(81);
        assertThat(services.get("np").getSpec().getPorts().getFirst().getNodePort()).isEqualTo(30000);
        assertThat(services.get("np").getSpec().getExternalTrafficPolicy()).isEqualTo("Cluster");

        LabService np = plan.services().stream().filter(s -> s.name().equals("np")).findFirst().orElseThrow();
        assertThat(np.frontends()).extracting(ServiceFrontend::toString)
                .containsExactly("198.19.240.2:80/UDP", "198.19.0.1:30000/UDP", "198.19.0.2:30000/UDP");
        assertThat(np.backends()).singleElement().isEqualTo(new LabBackend("198.19.1.2", "x/a", true, "", "UDP", 53));
        LabService web = plan.services().stream().filter(s -> s.name().equals("web")).findFirst().orElseThrow();
        assertThat(web.backends()).singleElement().satisfies(b -> assertThat(b.port()).as("named target port").isEqualTo(8080));
    }

    @Test
    void badServicesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> plan(1,
                service("x", "a", "web", "clusterIP: 10.96.0.1\n  ports:\n    - port: 80"),
                service("x", "b", "web", "ports:\n    - port: 80\n      nodePort: 30001"),
                service("x", "c", "web", "type: NodePort\n  ports:\n    - port: 80\n      nodePort: 1000"),
                service("x", "d", "web", "ports:\n    - port: 80\n    - port: 81"),
                service("x", "e", "web", "type: Weird\n  ports:\n    - port: 80"),
                service("x", "f", "web", "ports: []")))
                .isInstanceOfSatisfying(LabInputException.class, e -> assertThat(e.problems()).satisfiesExactly(
                        p -> assertThat(p).contains("Service x/a", "spec.clusterIP", "outside", "198.19.240.0/20"),
                        p -> assertThat(p).contains("Service x/b", "spec.ports[0].nodePort", "only NodePort"),
                        p -> assertThat(p).contains("Service x/c", "spec.ports[0].nodePort", "1000", "30000-32767"),
                        p -> assertThat(p).contains("Service x/d", "spec.ports[0].name", "more than one port"),
                        p -> assertThat(p).contains("Service x/d", "spec.ports[1].name"),
                        p -> assertThat(p).contains("Service x/e", "spec.type", "Weird"),
                        p -> assertThat(p).contains("Service x/f", "spec.ports", "at least one port")));
    }

    @Test
    void headlessServicesHaveSlicesButNoFrontendAndGivenSlicesReplaceDerivedOnes() {
        String slice = """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: manual-1
                  namespace: x
                  labels:
                    kubernetes.io/service-name: manual
                addressType: IPv4
                endpoints:
                  - addresses: ["198.19.1.200"]
                ports:
                  - port: 9000
                    protocol: TCP
                    name: ""
                """;
        LabPlan plan = plan(1, pod("x", "a", "web"),
                service("x", "headless", "web", "clusterIP: None\n  ports:\n    - port: 80\n      targetPort: 8080"),
                service("x", "manual", "web", "ports:\n    - port: 80"), slice);
        LabService headless = plan.services().stream().filter(s -> s.name().equals("headless")).findFirst().orElseThrow();
        assertThat(headless.frontends()).isEmpty();
        assertThat(headless.backends()).extracting(LabBackend::pod).containsExactly("x/a");
        LabService manual = plan.services().stream().filter(s -> s.name().equals("manual")).findFirst().orElseThrow();
        assertThat(manual.backends()).singleElement()
                .isEqualTo(new LabBackend("198.19.1.200", null, true, "", "TCP", 9000));
    }

    @Test
    void namespacesGetTheMetadataNameLabelAndNodesTheirCidrs() {
        String ns = """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: x
                  labels:
                    team: blue
                """;
        LabPlan plan = plan(2, ns, pod("x", "a", "web"), pod("y", "a", "web"));
        List<Namespace> namespaces = objects(plan, Namespace.class);
        assertThat(namespaces).extracting(n -> n.getMetadata().getLabels()).containsExactly(
                Map.of("team", "blue", "kubernetes.io/metadata.name", "x"),
                Map.of("kubernetes.io/metadata.name", "y"));
        List<Node> nodes = objects(plan, Node.class);
        assertThat(nodes).extracting(n -> n.getSpec().getPodCIDR()).containsExactly("198.19.1.0/24", "198.19.2.0/24");
        assertThat(nodes.get(1).getStatus().getAddresses()).anySatisfy(a -> assertThat(a.getAddress()).isEqualTo("198.19.0.2"));
    }

    @Test
    void anEarlierPlansDecisionsSurviveChangesOfOtherObjects() {
        ManifestSet first = Manifests.of(dir, pod("x", "a", "web"), pod("x", "b", "web"), pod("x", "c", "web"),
                service("x", "one", "web", "ports:\n    - port: 80"),
                service("x", "two", "web", "type: NodePort\n  ports:\n    - port: 80"));
        LabPlan before = LabPlanner.plan("lab", first, 2, Assignments.none());
        // x/a goes, x/0 (sorted first) and service "a-new" (sorted first) arrive.
        ManifestSet second = Manifests.of(dir, pod("x", "0", "web"), pod("x", "b", "web"), pod("x", "c", "web"),
                service("x", "a-new", "web", "ports:\n    - port: 80"),
                service("x", "one", "web", "ports:\n    - port: 80"),
                service("x", "two", "web", "type: NodePort\n  ports:\n    - port: 80"));
        LabPlan after = LabPlanner.plan("lab", second, 2, before.assignments());
        for (String kept : List.of("x/b", "x/c")) {
            assertThat(byKey(after).get(kept)).isEqualTo(byKey(before).get(kept));
        }
        assertThat(after.assignments().clusterIPs()).containsAllEntriesOf(Map.of(
                "x/one", before.assignments().clusterIPs().get("x/one"),
                "x/two", before.assignments().clusterIPs().get("x/two")));
        assertThat(after.assignments().nodePorts()).containsAllEntriesOf(before.assignments().nodePorts());
        assertThat(after.assignments().clusterIPs().get("x/a-new")).isNotIn(before.assignments().clusterIPs().values());
    }

    @Test
    void podNamespacesNeverCollideWithNodesOrEachOther() {
        // "lab-1" is node lab-1's namespace name; pod lab/1 would also be lab-lab-1 ... and x-a/b vs x/a-b.
        LabPlan plan = plan(1, pod("lab", "1", "web"), pod("x-a", "b", "web"), pod("x", "a-b", "web"));
        List<String> names = plan.pods().stream().map(LabPod::networkNamespace).toList();
        assertThat(names).doesNotHaveDuplicates().doesNotContain("lab-lab-1", "lab-fabric");
        assertThat(names).allSatisfy(n -> assertThat(n).startsWith("lab-"));
    }

    @Test
    void labNameAndNodeCountAreChecked() {
        ManifestSet empty = Manifests.of(dir);
        assertThatThrownBy(() -> LabPlanner.plan("Bad_Name", empty, 1, Assignments.none()))
                .hasMessageContaining("lab name \"Bad_Name\"");
        assertThatThrownBy(() -> LabPlanner.plan("lab", empty, 65, Assignments.none()))
                .hasMessageContaining("--nodes 65");
    }
}
