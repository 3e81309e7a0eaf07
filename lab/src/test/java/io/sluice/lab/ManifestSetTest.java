package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestSetTest {
    /** The examples shipped in lab/manifests (tests run in the module directory). */
    static final Path EXAMPLES = Path.of("manifests");

    @TempDir
    Path dir;

    @Test
    void theShippedExamplesParseWithFabric8() {
        ManifestSet set = ManifestSet.read(EXAMPLES);
        assertThat(set.namespaces()).extracting(n -> n.getMetadata().getName()).containsExactly("x", "y", "z");
        assertThat(set.pods()).hasSize(9).allSatisfy(p -> assertThat(p.getSpec().getContainers().getFirst().getPorts())
                .extracting(c -> c.getProtocol() + "/" + c.getContainerPort())
                .containsExactlyInAnyOrder("TCP/80", "TCP/81", "UDP/80", "UDP/81"));
        assertThat(set.networkPolicies()).hasSize(3);
        assertThat(set.ignored()).isEmpty();
        Map<String, Service> services = set.services().stream()
                .collect(Collectors.toMap(ManifestSet::describe, s -> s));
        assertThat(services.get("x/web").getSpec().getType()).isNull();
        assertThat(services.get("x/web-nodeport").getSpec().getType()).isEqualTo("NodePort");
        assertThat(services.get("y/sticky").getSpec().getSessionAffinity()).isEqualTo("ClientIP");
        assertThat(services.get("y/maglev").getMetadata().getAnnotations()).containsEntry("sluice.io/lb-algorithm", "maglev");
        assertThat(services.get("z/db").getSpec().getClusterIP()).isEqualTo("None");
    }

    @Test
    void theShippedExamplesPlanOnTwoAndThreeNodes() {
        for (int nodes : new int[] {2, 3}) {
            LabPlan plan = LabPlanner.plan("sluice-lab", ManifestSet.read(EXAMPLES), nodes, Assignments.none());
            assertThat(plan.pods()).hasSize(9);
            assertThat(plan.warnings()).isEmpty();
            LabService web = plan.services().stream().filter(s -> s.key().equals("x/web")).findFirst().orElseThrow();
            assertThat(web.backends()).extracting(b -> b.pod() + " " + b.protocol() + "/" + b.port())
                    .containsExactlyInAnyOrder("x/a TCP/80", "x/b TCP/80", "x/c TCP/80", "x/a UDP/81", "x/b UDP/81",
                            "x/c UDP/81");
            LabService np = plan.services().stream().filter(s -> s.key().equals("x/web-nodeport")).findFirst().orElseThrow();
            assertThat(np.frontends()).filteredOn(f -> f.kind().equals("NodePort")).hasSize(nodes)
                    .allSatisfy(f -> assertThat(f.port()).isEqualTo(30080));
        }
    }

    @Test
    void syntaxErrorsDuplicatesAndMissingNamesAreReportedWithFileAndLine() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                spec:
                  containers: []
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  namespace: x
                """);
        Files.writeString(dir.resolve("b.yml"), """
                # the same pod again, in the default namespace
                apiVersion: v1
                kind: Pod
                metadata:
                  name: p
                  namespace: default
                """);
        Files.writeString(dir.resolve("c.json"), "{ \"apiVersion\": \"v1\", \"kind\": ");
        Files.writeString(dir.resolve(".swap.yaml"), "not: [valid");
        Files.writeString(dir.resolve("notes.txt"), "not: [valid");
        assertThatThrownBy(() -> ManifestSet.read(dir))
                .isInstanceOfSatisfying(LabInputException.class, e -> assertThat(e.problems()).satisfiesExactly(
                        p -> assertThat(p).contains("a.yaml:8", "Service has no metadata.name"),
                        p -> assertThat(p).contains("b.yml:2", "Pod default/p is already defined at", "a.yaml:1"),
                        p -> assertThat(p).contains("c.json:1", "does not parse")));
    }

    @Test
    void otherKindsAreIgnoredWithAReasonAndObjectsWithoutNamespaceGoToDefault() throws IOException {
        Files.writeString(dir.resolve("m.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: d
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: s
                spec:
                  ports: [{port: 80}]
                """);
        ManifestSet set = ManifestSet.read(dir);
        assertThat(set.ignored()).singleElement().asString().contains("m.yaml:1", "Deployment default/d", "write Pods");
        assertThat(set.services()).singleElement().satisfies(s -> assertThat(s.getMetadata().getNamespace()).isEqualTo("default"));
        assertThatThrownBy(() -> ManifestSet.read(dir.resolve("missing"))).hasMessageContaining("is not a directory");
    }
}
