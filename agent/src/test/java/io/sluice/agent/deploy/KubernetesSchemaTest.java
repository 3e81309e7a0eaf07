package io.sluice.agent.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The manifests the project ships (deploy/kubernetes, lab/manifests) match the API schema of Kubernetes
 * {@value KubernetesSchema#KUBERNETES_VERSION}, and the check refuses what the API server would: a misspelt field, a
 * value of the wrong type, a missing required field, a kind its group does not serve, each named by its path.
 */
class KubernetesSchemaTest {
    private static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", ".."));
    private static final YAMLMapper YAML = new YAMLMapper();
    private final KubernetesSchema schema = new KubernetesSchema();

    @Test
    void theDeploymentManifestsMatchTheSchema() throws IOException {
        List<Path> files = yamlFiles(ROOT.resolve("deploy/kubernetes"));
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        for (Path file : files) {
            assertThat(schema.checkFile(file)).as(file.toString()).isEmpty();
        }
    }

    @Test
    void theLabManifestsMatchTheSchema() throws IOException {
        List<Path> files = yamlFiles(ROOT.resolve("lab/manifests"));
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            assertThat(schema.checkFile(file)).as(file.toString()).isEmpty();
        }
    }

    @Test
    void aMisspeltFieldIsRefusedWithItsPath() throws IOException {
        ObjectNode daemonSet = shipped("deploy/kubernetes/daemonset.yaml", "DaemonSet");
        ObjectNode container = (ObjectNode) daemonSet.at("/spec/template/spec/containers/0");
        JsonNode policy = container.remove("imagePullPolicy");
        container.set("imagePullPolicyy", policy == null ? JsonNodeFactory.instance.stringNode("IfNotPresent") : policy);

        assertThat(schema.check("daemonset.yaml", daemonSet)).singleElement().asString()
                .contains("DaemonSet kube-system/")
                .contains("spec.template.spec.containers[0].imagePullPolicyy: unknown field")
                .contains("did you mean 'imagePullPolicy'?");
    }

    @Test
    void aValueOfTheWrongTypeIsRefusedWithItsPath() {
        JsonNode pod = yaml("""
                apiVersion: v1
                kind: Pod
                metadata: {name: a, namespace: x}
                spec:
                  containers:
                    - name: web
                      image: nginx
                      ports:
                        - containerPort: eighty
                  hostNetwork: "yes"
                """);

        assertThat(schema.check("pod.yaml", pod)).containsExactlyInAnyOrder(
                "pod.yaml: Pod x/a: spec.containers[0].ports[0].containerPort: expected an integer (int32), got the string \"eighty\"",
                "pod.yaml: Pod x/a: spec.hostNetwork: expected true or false, got the string \"yes\"");
    }

    @Test
    void aMissingRequiredFieldIsRefusedWithItsPath() {
        JsonNode policy = yaml("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  ingress:
                    - ports:
                        - port: 80
                      from:
                        - ipBlock: {except: [10.0.0.0/8]}
                """);

        assertThat(schema.check("policy.yaml", policy)).containsExactly(
                "policy.yaml: NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.cidr: required field missing (V1IPBlock)");
    }

    @Test
    void aKindItsApiVersionDoesNotServeIsRefused() {
        assertThat(schema.check("a.yaml", yaml("{apiVersion: app/v1, kind: DaemonSet, metadata: {name: d}}")))
                .containsExactly("a.yaml: DaemonSet d: apiVersion 'app/v1' is no API group version of Kubernetes 1.34");
        assertThat(schema.check("b.yaml", yaml("{apiVersion: networking.k8s.io/v1, kind: Service, metadata: {name: s}}")))
                .containsExactly("b.yaml: Service s: kind 'Service' is not served by networking.k8s.io/v1 in Kubernetes 1.34");
        assertThat(schema.check("c.yaml", yaml("{apiVersion: extensions/v1beta1, kind: Ingress, metadata: {name: i}}")))
                .singleElement().asString().contains("no API group version of Kubernetes 1.34");
    }

    /** Every value in every shipped document, replaced by a list, is refused, and the problem names its path. */
    @Test
    void everyShippedValueOfTheWrongTypeIsFound() throws IOException {
        int checked = 0;
        for (Path dir : List.of(ROOT.resolve("deploy/kubernetes"), ROOT.resolve("lab/manifests"))) {
            for (Path file : yamlFiles(dir)) {
                for (JsonNode document : documents(file)) {
                    List<String> paths = new ArrayList<>();
                    scalarPaths(document, "", paths);
                    for (String path : paths) {
                        if (path.equals("apiVersion") || path.equals("kind")) {
                            continue; // these choose the schema: refused as the wrong kind instead
                        }
                        JsonNode mutated = document.deepCopy();
                        replace(mutated, path, JsonNodeFactory.instance.arrayNode().add("x"));
                        assertThat(schema.check(file.getFileName().toString(), mutated))
                                .as("%s with a list at %s", file.getFileName(), path)
                                .anySatisfy(problem -> assertThat(problem).contains(": " + path + ": expected"));
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).as("values mutated").isGreaterThan(100);
    }

    private static List<Path> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(Files.readString(file))) {
            while (it.hasNext()) {
                JsonNode next = it.next();
                if (next != null && next.isObject()) {
                    all.add(next);
                }
            }
        }
        return all;
    }

    private static ObjectNode shipped(String file, String kind) throws IOException {
        return (ObjectNode) documents(ROOT.resolve(file)).stream().filter(d -> d.path("kind").asString("").equals(kind))
                .findFirst().orElseThrow();
    }

    private static JsonNode yaml(String text) {
        return YAML.readTree(text);
    }

    /** Paths in the check's notation (a.b[0].c) of every scalar under {@code node}. */
    private static void scalarPaths(JsonNode node, String path, List<String> out) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                scalarPaths(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                scalarPaths(node.get(i), path + "[" + i + "]", out);
            }
        } else if (!node.isNull()) {
            out.add(path);
        }
    }

    /** Replaces the value at {@code path} (found by walking, as keys may contain dots). */
    private static void replace(JsonNode root, String path, JsonNode value) {
        if (!replaceUnder(root, "", path, value)) {
            throw new AssertionError("no value at " + path);
        }
    }

    private static boolean replaceUnder(JsonNode node, String prefix, String path, JsonNode value) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String here = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                if (here.equals(path)) {
                    ((ObjectNode) node).set(e.getKey(), value);
                    return true;
                }
                if (path.startsWith(here) && replaceUnder(e.getValue(), here, path, value)) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String here = prefix + "[" + i + "]";
                if (here.equals(path)) {
                    ((ArrayNode) node).set(i, value);
                    return true;
                }
                if (path.startsWith(here) && replaceUnder(node.get(i), here, path, value)) {
                    return true;
                }
            }
        }
        return false;
    }
}
