package io.sluice.agent.deploy;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.JSON;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A schema check of Kubernetes manifests against the API of one Kubernetes release, {@value #KUBERNETES_VERSION}, as
 * the official Kubernetes Java client generates it from that release's OpenAPI document
 * ({@code io.kubernetes:client-java-api} {@value #CLIENT_VERSION}: one model class per schema, with its fields, their
 * types and the required ones).
 *
 * <p>Each document must name an {@code apiVersion} and {@code kind} that release serves (the group's generated API
 * class lists that kind), use only the fields of its schema, give every required field, and give each field a value
 * of the schema's type: strings, integers (int32/int64 in range), booleans, lists, maps, nested objects,
 * int-or-string and quantities. Every problem names the object and the field's path
 * ({@code spec.template.spec.containers[0].ports[0].containerPort}). The client's own generated validation
 * ({@code validateJsonElement}) and deserialization run too, so the check is never laxer than the client.
 *
 * <p>YAML is read as YAML 1.2 (Jackson), as {@code kubectl} reads it for the values these manifests use.
 */
final class KubernetesSchema {
    /** The Kubernetes release whose API the manifests are checked against. */
    static final String KUBERNETES_VERSION = "1.34";
    /** The client-java-api version generated from that release (its major version 25 maps to Kubernetes 1.34). */
    static final String CLIENT_VERSION = "25.0.0";
    private static final String MODELS = "io.kubernetes.client.openapi.models.";
    private static final String APIS = "io.kubernetes.client.openapi.apis.";
    private static final YAMLMapper YAML = new YAMLMapper();

    private final Map<Class<?>, Map<String, Field>> fieldsByModel = new HashMap<>();

    /** Every document of a YAML file, with the file's name and the document's position, checked. */
    List<String> checkFile(Path file) throws IOException {
        List<String> problems = new ArrayList<>();
        int index = 0;
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(Files.readString(file))) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                index++;
                if (document == null || document.isNull() || document.isMissingNode()) {
                    continue;
                }
                problems.addAll(check(file.getFileName() + " #" + index, document));
            }
        }
        if (index == 0) {
            problems.add(file.getFileName() + ": no Kubernetes object in it");
        }
        return problems;
    }

    /** The problems of one document; {@code where} says where it came from. Empty when it matches the schema. */
    List<String> check(String where, JsonNode document) {
        if (!document.isObject()) {
            return List.of(where + ": a Kubernetes object must be a mapping, got " + describe(document));
        }
        String apiVersion = document.path("apiVersion").isString() ? document.path("apiVersion").asString() : null;
        String kind = document.path("kind").isString() ? document.path("kind").asString() : null;
        String name = document.path("metadata").path("name").asString("?");
        String namespace = document.path("metadata").path("namespace").asString(null);
        String object = where + ": " + (kind == null ? "?" : kind) + " " + (namespace == null ? "" : namespace + "/") + name;
        if (apiVersion == null || kind == null) {
            return List.of(object + ": apiVersion and kind must be strings");
        }
        Class<?> model;
        try {
            model = modelOf(apiVersion, kind);
        } catch (IllegalArgumentException e) {
            return List.of(object + ": " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        walk(document, model, "", problems);
        if (problems.isEmpty()) {
            String generated = generatedValidation(model, document);
            if (generated != null) {
                problems.add("the client's generated validation refused it: " + generated);
            }
        }
        return problems.stream().map(p -> object + ": " + p).toList();
    }

    /**
     * The model class of {@code apiVersion}/{@code kind}, if Kubernetes {@value #KUBERNETES_VERSION} serves that kind
     * in that group and version: the group's generated API class must list it.
     */
    static Class<?> modelOf(String apiVersion, String kind) {
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        if (version.isEmpty() || (slash >= 0 && group.isEmpty())) {
            throw new IllegalArgumentException("apiVersion '" + apiVersion + "' is not GROUP/VERSION or VERSION");
        }
        String groupPrefix = group.isEmpty() ? "Core" : apiGroupClassPrefix(group);
        Class<?> api;
        try {
            api = Class.forName(APIS + groupPrefix + capitalize(version) + "Api");
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("apiVersion '" + apiVersion + "' is no API group version of Kubernetes "
                    + KUBERNETES_VERSION);
        }
        boolean served = Arrays.stream(api.getMethods()).map(Method::getName)
                .anyMatch(m -> m.equals("list" + kind) || m.equals("listNamespaced" + kind));
        if (!served) {
            throw new IllegalArgumentException("kind '" + kind + "' is not served by " + apiVersion + " in Kubernetes "
                    + KUBERNETES_VERSION);
        }
        try {
            return Class.forName(MODELS + capitalize(version) + kind);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("no schema for " + apiVersion + " " + kind + " in Kubernetes " + KUBERNETES_VERSION);
        }
    }

    /** {@code rbac.authorization.k8s.io} → {@code RbacAuthorization}, {@code apps} → {@code Apps}. */
    private static String apiGroupClassPrefix(String group) {
        String trimmed = group.endsWith(".k8s.io") ? group.substring(0, group.length() - ".k8s.io".length()) : group;
        StringBuilder prefix = new StringBuilder();
        for (String part : trimmed.split("\\.")) {
            prefix.append(capitalize(part));
        }
        return prefix.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    private void walk(JsonNode node, Type type, String path, List<String> problems) {
        if (node.isNull()) {
            return; // JSON null: the field is unset
        }
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        if (type instanceof ParameterizedType p && List.class.isAssignableFrom(raw)) {
            if (!node.isArray()) {
                problems.add(at(path) + "expected a list, got " + describe(node));
                return;
            }
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), p.getActualTypeArguments()[0], path + "[" + i + "]", problems);
            }
        } else if (type instanceof ParameterizedType p && Map.class.isAssignableFrom(raw)) {
            if (!node.isObject()) {
                problems.add(at(path) + "expected a map, got " + describe(node));
                return;
            }
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                walk(e.getValue(), p.getActualTypeArguments()[1], child(path, e.getKey()), problems);
            }
        } else if (raw == String.class || raw == OffsetDateTime.class || raw == byte[].class) {
            expect(node.isString(), "a string", node, path, problems);
        } else if (raw == Integer.class) {
            expect(node.isIntegralNumber() && node.canConvertToInt(), "an integer (int32)", node, path, problems);
        } else if (raw == Long.class) {
            expect(node.isIntegralNumber() && node.canConvertToLong(), "an integer (int64)", node, path, problems);
        } else if (raw == Double.class || raw == Float.class) {
            expect(node.isNumber(), "a number", node, path, problems);
        } else if (raw == Boolean.class) {
            expect(node.isBoolean(), "true or false", node, path, problems);
        } else if (raw == IntOrString.class) {
            expect(node.isString() || (node.isIntegralNumber() && node.canConvertToInt()), "an integer or a string", node, path, problems);
        } else if (raw == Quantity.class) {
            expect(node.isString() || node.isNumber(), "a quantity (a string such as 100m or 64Mi, or a number)", node, path, problems);
        } else if (raw == Object.class) {
            return; // free-form in the schema
        } else if (isModel(raw)) {
            walkModel(node, raw, path, problems);
        } else {
            problems.add(at(path) + "the schema's type " + type.getTypeName() + " is unknown to this check");
        }
    }

    private void walkModel(JsonNode node, Class<?> model, String path, List<String> problems) {
        if (!node.isObject()) {
            problems.add(at(path) + "expected an object (" + model.getSimpleName() + "), got " + describe(node));
            return;
        }
        Map<String, Field> fields = fields(model);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            Field field = fields.get(e.getKey());
            if (field == null) {
                problems.add(at(child(path, e.getKey())) + "unknown field: " + model.getSimpleName() + " has no field '"
                        + e.getKey() + "'" + suggestion(e.getKey(), fields.keySet()));
            } else {
                walk(e.getValue(), field.getGenericType(), child(path, e.getKey()), problems);
            }
        }
        for (String required : requiredFields(model)) {
            if (node.get(required) == null || node.get(required).isNull()) {
                problems.add(at(child(path, required)) + "required field missing (" + model.getSimpleName() + ")");
            }
        }
    }

    private static boolean isModel(Class<?> c) {
        return c.getName().startsWith(MODELS) && staticSet(c, "openapiFields") != null;
    }

    /** The model's JSON field names and the Java fields that hold them. */
    private Map<String, Field> fields(Class<?> model) {
        return fieldsByModel.computeIfAbsent(model, m -> {
            Map<String, Field> byName = new HashMap<>();
            for (Field f : m.getDeclaredFields()) {
                SerializedName json = f.getAnnotation(SerializedName.class);
                if (json != null && !Modifier.isStatic(f.getModifiers())) {
                    byName.put(json.value(), f);
                }
            }
            Set<String> declared = staticSet(m, "openapiFields");
            if (declared == null || !declared.equals(byName.keySet())) {
                throw new IllegalStateException(m.getName() + ": its openapiFields " + declared + " and serialized fields "
                        + byName.keySet() + " differ: this client version is laid out differently than the check expects");
            }
            return byName;
        });
    }

    private static Set<String> requiredFields(Class<?> model) {
        Set<String> required = staticSet(model, "openapiRequiredFields");
        return required == null ? Set.of() : new TreeSet<>(required);
    }

    @SuppressWarnings("unchecked")
    private static Set<String> staticSet(Class<?> c, String name) {
        try {
            Field f = c.getField(name);
            return Modifier.isStatic(f.getModifiers()) && f.get(null) instanceof Set<?> s ? (Set<String>) s : null;
        } catch (NoSuchFieldException | IllegalAccessException e) {
            return null;
        }
    }

    /** The client's own check: its generated {@code validateJsonElement}, then Gson's typed deserialization. */
    private static String generatedValidation(Class<?> model, JsonNode document) {
        JsonElement json = JsonParser.parseString(document.toString());
        try {
            model.getMethod("validateJsonElement", JsonElement.class).invoke(null, json);
            JSON.getGson().fromJson(json, model);
            return null;
        } catch (InvocationTargetException e) {
            return String.valueOf(e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(model.getName() + " has no generated validateJsonElement", e);
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    private static void expect(boolean ok, String what, JsonNode node, String path, List<String> problems) {
        if (!ok) {
            problems.add(at(path) + "expected " + what + ", got " + describe(node));
        }
    }

    private static String describe(JsonNode node) {
        if (node.isString()) {
            return "the string \"" + node.asString() + "\"";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isBoolean()) {
            return "the boolean " + node.asBoolean();
        }
        return node.isNumber() ? "the number " + node : node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String at(String path) {
        return (path.isEmpty() ? "(document)" : path) + ": ";
    }

    /** " (did you mean 'containers'?)" for a name one or two edits away from a real field. */
    private static String suggestion(String name, Set<String> known) {
        return known.stream().filter(k -> editDistance(k.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT)) <= 2)
                .min(Comparator.comparingInt((String k) -> editDistance(k, name)).thenComparing(k -> k))
                .map(k -> " (did you mean '" + k + "'?)").orElse("");
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
