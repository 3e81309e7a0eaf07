package io.sluice.agent.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.config.AgentConfig;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deployment manifests parse with fabric8's model of the Kubernetes API and use no field that model does not
 * know (fabric8 keeps unknown fields aside as "additional properties": a misspelt or removed field shows up there),
 * and the agent accepts the configuration the ConfigMap carries.
 */
class DeployManifestsTest {
    private static final Path DEPLOY = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", ".."), "deploy", "kubernetes");
    private final KubernetesSerialization serialization = new KubernetesSerialization();

    @Test
    void everyManifestParsesIntoKnownFieldsOnly() throws IOException {
        List<HasMetadata> objects = objects();
        assertThat(objects).extracting(HasMetadata::getKind)
                .contains("DaemonSet", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap");
        for (HasMetadata object : objects) {
            List<String> unknown = new ArrayList<>();
            collectUnknownFields(object, object.getKind() + "/" + object.getMetadata().getName(), unknown, new IdentityHashMap<>());
            assertThat(unknown).as("fields the Kubernetes model does not know").isEmpty();
        }
    }

    @Test
    void aMisspeltFieldIsFound() {
        HasMetadata ds = (HasMetadata) serialization.unmarshal("""
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: x}
                spec:
                  template:
                    spec:
                      containerz: []
                """);
        List<String> unknown = new ArrayList<>();
        collectUnknownFields(ds, "DaemonSet/x", unknown, new IdentityHashMap<>());
        assertThat(unknown).singleElement().asString().contains("containerz");
    }

    @Test
    void theClusterRoleOnlyReads() throws IOException {
        ClusterRole role = objects().stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast).findFirst().orElseThrow();
        assertThat(role.getRules()).allSatisfy(rule ->
                assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch"));
    }

    @Test
    void theDaemonSetIsNotPrivilegedAndProbesTheAgent() throws IOException {
        DaemonSet ds = objects().stream().filter(DaemonSet.class::isInstance).map(DaemonSet.class::cast).findFirst().orElseThrow();
        var container = ds.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(container.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    }

    @Test
    void theAgentAcceptsTheConfigMapsConfiguration() throws IOException {
        ConfigMap configMap = objects().stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                .filter(c -> c.getData() != null && c.getData().containsKey("config.yaml")).findFirst().orElseThrow();
        Path file = Files.createTempFile("sluice-config-", ".yaml");
        try {
            Files.writeString(file, configMap.getData().get("config.yaml"));
            AgentConfig config = AgentConfig.fromYaml(file)
                    .conclude(Map.of("NODE_NAME", "node-1", "KUBERNETES_SERVICE_HOST", "10.0.0.1"));
            assertThat(config.nodeName()).isEqualTo("node-1");
            assertThat(config.sourceMode()).isEqualTo(AgentConfig.SourceMode.IN_CLUSTER);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private List<HasMetadata> objects() throws IOException {
        List<HasMetadata> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(DEPLOY)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                Object parsed = serialization.unmarshal(Files.readString(file));
                if (parsed instanceof Collection<?> list) {
                    list.forEach(o -> all.add((HasMetadata) o));
                } else {
                    all.add((HasMetadata) parsed);
                }
            }
        }
        return all;
    }

    /** Walks the model's getters and reports every non-empty additionalProperties map with its path. */
    private static void collectUnknownFields(Object node, String path, List<String> unknown, Map<Object, Boolean> seen) {
        if (node == null || seen.put(node, true) != null) {
            return;
        }
        if (node instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                collectUnknownFields(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collectUnknownFields(v, path + "." + k, unknown, seen));
            return;
        }
        if (!(node instanceof KubernetesResource)) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
            } else {
                collectUnknownFields(value, path + "." + getter.getName().substring(3), unknown, seen);
            }
        }
    }
}
