package io.sluice.lab;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the manifest directory each node's agent reads: one file per kind ({@code namespaces.yaml},
 * {@code nodes.yaml}, {@code pods.yaml}, {@code services.yaml}, {@code endpointslices.yaml},
 * {@code networkpolicies.yaml}), multi-document YAML. A file is replaced only when its content changes, by a
 * rename from a dot-file (which the agent's source ignores), so the agent never reads half a file.
 */
final class NodeManifests {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static final List<String> FILES = List.of("namespaces.yaml", "nodes.yaml", "pods.yaml", "services.yaml",
            "endpointslices.yaml", "networkpolicies.yaml");

    private NodeManifests() {
    }

    /** The files' contents for {@code objects}, by file name. */
    static Map<String, String> render(List<HasMetadata> objects) {
        Map<String, List<String>> documents = new LinkedHashMap<>();
        FILES.forEach(f -> documents.put(f, new ArrayList<>()));
        for (HasMetadata object : objects) {
            String kind = object.getKind().toLowerCase(java.util.Locale.ROOT);
            String file = (kind.endsWith("y") ? kind.substring(0, kind.length() - 1) + "ies" : kind + "s") + ".yaml";
            List<String> list = documents.get(file);
            if (list == null) {
                throw new IllegalArgumentException("no manifest file for kind " + object.getKind());
            }
            String yaml = SERIALIZATION.asYaml(object);
            list.add(yaml.startsWith("---") ? yaml.substring(yaml.indexOf('\n') + 1) : yaml);
        }
        Map<String, String> files = new LinkedHashMap<>();
        documents.forEach((file, docs) -> files.put(file, "# Written by sluice lab; edit the lab's manifests instead.\n"
                + String.join("---\n", docs)));
        return files;
    }

    /**
     * Brings {@code directory} to {@code objects}.
     *
     * @return whether any file changed
     */
    static boolean write(Path directory, List<HasMetadata> objects) {
        boolean changed = false;
        try {
            Files.createDirectories(directory);
            for (Map.Entry<String, String> file : render(objects).entrySet()) {
                Path target = directory.resolve(file.getKey());
                if (Files.exists(target) && Files.readString(target).equals(file.getValue())) {
                    continue;
                }
                Path tmp = directory.resolve("." + file.getKey() + ".tmp");
                Files.writeString(tmp, file.getValue());
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                changed = true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the node manifests in " + directory, e);
        }
        return changed;
    }
}
