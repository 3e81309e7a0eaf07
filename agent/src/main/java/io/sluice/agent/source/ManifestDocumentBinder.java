package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import java.util.List;
import tools.jackson.databind.JsonNode;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Turns the text of one YAML (or JSON) document into the Kubernetes objects it holds, with fabric8's model classes.
 *
 * <p>Why not fabric8's {@code unmarshal}: its YAML path builds snakeyaml maps, then a Jackson tree, then looks the
 * class up by kind; on 10,000 manifest files that cost three times what Jackson's streaming YAML parser and a
 * direct bind cost, and dominated the agent's start. Here a watched kind is bound straight to its model class with
 * fabric8's own mapper (same modules, same unknown-field handling), a kind the agent does not watch is not bound at
 * all, and lists or anything unusual (a watched kind under another apiVersion) still take fabric8's generic path.
 *
 * <p>Thread-safe: shared by the threads that parse a scan's files.
 */
final class ManifestDocumentBinder {
    /**
     * Without marks: snakeyaml then records no position per token (a quarter of the parse). A document that fails
     * is parsed again with positions by whoever reports the problem.
     */
    private final YAMLMapper yaml = new YAMLMapper(YAMLFactory.builder()
            .loadSettings(LoadSettings.builder().setUseMarks(false).build()).build());
    private final KubernetesSerialization serialization = new KubernetesSerialization();

    /**
     * The objects of {@code document}: one, several (a {@code List}), or none (an empty document, a kind the agent
     * does not watch).
     *
     * @throws RuntimeException a Jackson exception: a syntax error (without its location, see above) or a value
     *                          that does not fit the model (with the field's path)
     */
    List<?> objectsOf(String document) {
        JsonNode tree = yaml.readTree(document);
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            return List.of();
        }
        String apiVersion = tree.path("apiVersion").asString(null);
        String apiKind = tree.path("kind").asString(null);
        ResourceKind kind = apiVersion == null || apiKind == null ? null : ResourceKind.of(apiVersion, apiKind);
        if (kind != null) {
            return List.of(serialization.convertValue(tree, kind.type()));
        }
        if (tree.isObject() && apiVersion != null && apiKind != null && !apiKind.endsWith("List")) {
            return List.of(); // a Deployment, a ConfigMap: nothing the agent reads
        }
        Object parsed = serialization.convertValue(tree, KubernetesResource.class);
        return parsed instanceof KubernetesList list ? list.getItems() : parsed == null ? List.of() : List.of(parsed);
    }
}
