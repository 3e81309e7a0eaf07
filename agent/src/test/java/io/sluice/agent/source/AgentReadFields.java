package io.sluice.agent.source;

import io.sluice.agent.model.ResourceKind;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the agent's serialization keeps of a document, for tests to compare it with fabric8's default parse of the
 * same document cut down to that: the fields of Pods, Nodes and Namespaces the agent reads ({@link SlimModel}), spelled
 * out here on their own, and no {@code managedFields} of any kind.
 */
final class AgentReadFields {
    /**
     * The fields of Pods, Nodes and Namespaces the agent reads, by path ({@code []}: each element of a list); a listed
     * field is kept whole. Every other field of those kinds is dropped by the agent's parse.
     */
    static final Map<ResourceKind, Set<String>> KEPT = Map.of(
            ResourceKind.POD, Set.of("apiVersion", "kind", "metadata.name", "metadata.namespace", "metadata.labels",
                    "metadata.resourceVersion", "spec.nodeName", "spec.hostNetwork", "spec.containers[].ports[].name",
                    "spec.containers[].ports[].containerPort", "spec.containers[].ports[].protocol", "status.phase",
                    "status.podIP", "status.podIPs[].ip"),
            ResourceKind.NODE, Set.of("apiVersion", "kind", "metadata.name", "metadata.resourceVersion",
                    "status.addresses[].type", "status.addresses[].address"),
            ResourceKind.NAMESPACE, Set.of("apiVersion", "kind", "metadata.name", "metadata.labels",
                    "metadata.resourceVersion"));
    private static final ObjectMapper JSON = new ObjectMapper();

    private AgentReadFields() {
    }

    /**
     * {@code json}, an object of {@code kind}, without {@code managedFields} (of its metadata and any nested one), and of a
     * kind in {@link #KEPT} only with the fields listed there.
     */
    static String onlyWhatTheAgentReads(String json, ResourceKind kind) {
        JsonNode tree = JSON.readTree(json);
        cut(tree, kind);
        return tree.toString();
    }

    /** As {@link #onlyWhatTheAgentReads}, for the object of the watch event {@code message}, its kind its own. */
    static String eventAsTheAgentReadsIt(String message) {
        JsonNode tree = JSON.readTree(message);
        if (tree.get("object") instanceof ObjectNode object) {
            JsonNode apiVersion = object.get("apiVersion");
            JsonNode kind = object.get("kind");
            cut(object, apiVersion == null || kind == null ? null : ResourceKind.of(apiVersion.asString(), kind.asString()));
        }
        return tree.toString();
    }

    private static void cut(JsonNode tree, ResourceKind kind) {
        removeManagedFields(tree);
        Set<String> kept = kind == null ? null : KEPT.get(kind);
        if (kept != null) {
            keepOnly(tree, "", kept);
        }
    }

    /** The paths (as in {@link #KEPT}) of the fields in {@code json} that have a value other than null. */
    static Set<String> pathsOf(String json) {
        Set<String> paths = new HashSet<>();
        collectPaths(JSON.readTree(json), "", paths);
        return paths;
    }

    /** Removes the {@code managedFields} of every ObjectMeta (a {@code metadata} field's object), as the parse skips them. */
    private static void removeManagedFields(JsonNode node) {
        if (node instanceof ObjectNode object && object.get("metadata") instanceof ObjectNode meta) {
            meta.remove("managedFields");
        }
        node.forEach(AgentReadFields::removeManagedFields);
    }

    /** Removes from {@code node} (at {@code path}) every field that is neither in {@code kept} nor on the way to one. */
    private static void keepOnly(JsonNode node, String path, Set<String> kept) {
        if (node instanceof ArrayNode array) {
            array.forEach(element -> keepOnly(element, path + "[]", kept));
        } else if (node instanceof ObjectNode object) {
            for (String name : List.copyOf(object.propertyNames())) {
                String field = path.isEmpty() ? name : path + "." + name;
                if (kept.contains(field)) {
                    continue;
                }
                if (kept.stream().anyMatch(k -> k.startsWith(field + ".") || k.startsWith(field + "[]"))) {
                    keepOnly(object.get(name), field, kept);
                } else {
                    object.remove(name);
                }
            }
        }
    }

    private static void collectPaths(JsonNode node, String path, Set<String> paths) {
        if (node instanceof ArrayNode array) {
            array.forEach(element -> collectPaths(element, path + "[]", paths));
        } else if (node instanceof ObjectNode object) {
            object.properties().forEach(e -> {
                if (!e.getValue().isNull()) {
                    String field = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                    paths.add(field);
                    collectPaths(e.getValue(), field, paths);
                }
            });
        }
    }
}
