package io.sluice.lab;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The objects of a manifest directory, read with the same file rules as the agent's manifest source: regular
 * files named {@code *.yaml}, {@code *.yml} or {@code *.json} not starting with a dot, multi-document YAML, no
 * sub-directories, namespaced objects without a namespace in {@code default}. The lab uses Namespaces, Pods,
 * Services, EndpointSlices and NetworkPolicies; other kinds are listed in {@link #ignored()}.
 */
public final class ManifestSet {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final List<Namespace> namespaces = new ArrayList<>();
    private final List<Pod> pods = new ArrayList<>();
    private final List<Service> services = new ArrayList<>();
    private final List<EndpointSlice> endpointSlices = new ArrayList<>();
    private final List<NetworkPolicy> networkPolicies = new ArrayList<>();
    private final List<String> ignored = new ArrayList<>();
    private final Map<HasMetadata, String> origins = new IdentityHashMap<>();

    private ManifestSet() {
    }

    /**
     * Reads every manifest file of {@code directory}.
     *
     * @throws LabInputException listing every file that does not parse (with its line) and every object defined twice
     */
    public static ManifestSet read(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new LabInputException("manifests: " + directory + " is not a directory");
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(ManifestSet::isManifestFile).sorted().toList();
        } catch (IOException e) {
            throw new LabInputException("manifests: cannot list " + directory + ": " + e.getMessage());
        }
        ManifestSet set = new ManifestSet();
        List<String> problems = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (Path file : files) {
            String text;
            try {
                text = Files.readString(file);
            } catch (IOException e) {
                problems.add(file + ": cannot be read: " + e.getMessage());
                continue;
            }
            set.parseFile(file, text, problems, seen);
        }
        if (!problems.isEmpty()) {
            throw new LabInputException(problems);
        }
        return set;
    }

    /** A set of objects that were not read from files (their origin reads {@code (given)}). */
    static ManifestSet of(List<? extends HasMetadata> objects) {
        ManifestSet set = new ManifestSet();
        List<String> problems = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (HasMetadata object : objects) {
            set.add(object, "(given)", problems, seen);
        }
        if (!problems.isEmpty()) {
            throw new LabInputException(problems);
        }
        return set;
    }

    static boolean isManifestFile(Path path) {
        String name = path.getFileName().toString();
        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"))
                && Files.isRegularFile(path);
    }

    private void parseFile(Path file, String text, List<String> problems, Map<String, String> seen) {
        List<String> lines = text.lines().toList();
        int start = 0;
        for (int i = 0; i <= lines.size(); i++) {
            if (i == lines.size() || isDocumentSeparator(lines.get(i))) {
                parseDocument(file, lines.subList(start, i), start + 1, problems, seen);
                start = i + 1;
            }
        }
    }

    private static boolean isDocumentSeparator(String line) {
        return line.startsWith("---") && (line.length() == 3 || Character.isWhitespace(line.charAt(3)));
    }

    private void parseDocument(Path file, List<String> lines, int firstLine, List<String> problems,
                               Map<String, String> seen) {
        int contentLine = -1;
        for (int i = 0; i < lines.size() && contentLine < 0; i++) {
            String l = lines.get(i).strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                contentLine = firstLine + i;
            }
        }
        if (contentLine < 0) {
            return;
        }
        String where = file + ":" + contentLine;
        Object parsed;
        try {
            parsed = SERIALIZATION.unmarshal(String.join("\n", lines));
        } catch (RuntimeException e) {
            problems.add(where + ": does not parse as a Kubernetes object: " + firstLine(e));
            return;
        }
        List<?> items = parsed instanceof KubernetesList list ? list.getItems()
                : parsed == null ? List.of() : List.of(parsed);
        for (Object item : items) {
            if (!(item instanceof HasMetadata object)) {
                problems.add(where + ": not a Kubernetes object (no apiVersion/kind?)");
                continue;
            }
            add(object, where, problems, seen);
        }
    }

    private void add(HasMetadata object, String where, List<String> problems, Map<String, String> seen) {
        ObjectMeta meta = object.getMetadata();
        if (meta == null || meta.getName() == null || meta.getName().isBlank()) {
            problems.add(where + ": " + object.getKind() + " has no metadata.name");
            return;
        }
        boolean namespaced = object instanceof io.fabric8.kubernetes.api.model.Namespaced;
        if (!namespaced) {
            meta.setNamespace(null);
        } else if (meta.getNamespace() == null || meta.getNamespace().isBlank()) {
            meta.setNamespace("default");
        }
        String id = object.getKind() + " " + describe(object);
        String first = seen.putIfAbsent(id, where);
        if (first != null) {
            problems.add(where + ": " + id + " is already defined at " + first);
            return;
        }
        origins.put(object, where);
        switch (object) {
            case Namespace ns -> namespaces.add(ns);
            case Pod pod -> pods.add(pod);
            case Service service -> services.add(service);
            case EndpointSlice slice -> endpointSlices.add(slice);
            case NetworkPolicy policy -> networkPolicies.add(policy);
            case io.fabric8.kubernetes.api.model.Node node -> ignored.add(where + ": " + id
                    + " ignored: the lab makes its own nodes, lab-1 to lab-N (--nodes)");
            default -> ignored.add(where + ": " + id + " ignored: the lab runs Pods, Services, EndpointSlices, "
                    + "Namespaces and NetworkPolicies (write Pods instead of workload controllers)");
        }
    }

    private static String firstLine(RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** {@code namespace/name}, or the name of a cluster-scoped object. */
    static String describe(HasMetadata object) {
        ObjectMeta meta = object.getMetadata();
        return meta.getNamespace() == null ? meta.getName() : meta.getNamespace() + "/" + meta.getName();
    }

    /** {@code file:line} where {@code object} was read, for messages. */
    public String origin(HasMetadata object) {
        return origins.getOrDefault(object, "?");
    }

    public List<Namespace> namespaces() {
        return List.copyOf(namespaces);
    }

    public List<Pod> pods() {
        return List.copyOf(pods);
    }

    public List<Service> services() {
        return List.copyOf(services);
    }

    public List<EndpointSlice> endpointSlices() {
        return List.copyOf(endpointSlices);
    }

    public List<NetworkPolicy> networkPolicies() {
        return List.copyOf(networkPolicies);
    }

    /** Objects of kinds the lab does not run, each with where it was read and why it is ignored. */
    public List<String> ignored() {
        return List.copyOf(ignored);
    }
}
