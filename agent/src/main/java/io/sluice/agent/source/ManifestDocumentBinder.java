package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;
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
 * <p>The YAML events come from LibYAML where it is installed and the document keeps to the syntax YAML 1.1 and 1.2
 * read alike (see {@link LibYamlParser}, {@link #libYamlReadsAlike}), else from snakeyaml-engine, which also has the
 * last word on every document LibYAML refuses. Over LibYAML, a watched kind is bound in one pass without a tree: the
 * top-level fields are read until {@code apiVersion} and {@code kind} are known (usually the first two lines), then
 * those fields, replayed, and the rest of the same parser are bound by a mapper configured as fabric8 configures its
 * own: a quarter less allocation per document than a tree and {@code convertValue}, about the same CPU. A document
 * that fails there is read again the tree way, so problems are reported exactly as before.
 *
 * <p>Thread-safe: shared by the threads that parse a scan's files.
 */
final class ManifestDocumentBinder {
    /**
     * Without marks: snakeyaml then records no position per token (a quarter of the parse). A document that fails
     * is parsed again with positions by whoever reports the problem.
     */
    private static final LoadSettings NO_MARKS = LoadSettings.builder().setUseMarks(false).build();
    private final YAMLMapper yaml = new YAMLMapper(YAMLFactory.builder().loadSettings(NO_MARKS).build());
    /** Jackson over LibYAML's events (see {@link LibYamlParser}), or null: snakeyaml-engine parses everything. */
    private final YAMLMapper libYaml;
    private final ModelSerialization serialization = new ModelSerialization();
    /** {@link #libYaml} configured as fabric8 configures its mapper: binds LibYAML's events to the model, or null. */
    private final ObjectMapper libYamlModel;
    /**
     * Per kind (by ordinal), {@link #libYamlModel}'s reader for its model class, made at first use: it holds the root
     * deserializer, which the mapper would look up by type for every document. Racy but safe: readers are immutable.
     */
    private final ObjectReader[] readers = new ObjectReader[ResourceKind.values().length];

    /** A binder that parses with LibYAML when the library is there. */
    ManifestDocumentBinder() {
        this(LibYamlParser.available());
    }

    /** {@code useLibYaml}: parse with LibYAML (which must be {@linkplain LibYamlParser#available() available}). */
    ManifestDocumentBinder(boolean useLibYaml) {
        libYaml = useLibYaml ? new YAMLMapper(new LibYamlParser.Factory(YAMLFactory.builder())) : null;
        libYamlModel = useLibYaml ? serialization.configured(libYaml) : null;
    }

    /**
     * The objects of {@code document}: one, several (a {@code List}), or none (an empty document, a kind the agent
     * does not watch).
     *
     * @throws RuntimeException a Jackson exception: a syntax error (without its location, see above) or a value
     *                          that does not fit the model (with the field's path)
     */
    List<?> objectsOf(String document) {
        byte[] utf8 = libYamlModel == null ? null : libYamlInput(document);
        if (utf8 != null) {
            List<?> bound = boundDirectly(utf8);
            if (bound != null) {
                return bound;
            }
        }
        JsonNode tree = treeOf(document);
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

    /**
     * The objects of {@code document} bound from LibYAML's events without a tree when its {@code apiVersion} and
     * {@code kind} are plain strings naming a single object, or null for the tree path: a list, something unusual,
     * or a document that fails anywhere (the tree path then reports the problem as it always did).
     */
    private List<?> boundDirectly(byte[] utf8) {
        try (JsonParser parser = libYamlModel.createParser(utf8)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                return null;
            }
            ObjectHeader header = ObjectHeader.read(parser);
            if (header == null || header.kind().endsWith("List")) {
                return null;
            }
            ResourceKind kind = ResourceKind.of(header.apiVersion(), header.kind());
            if (kind == null) {
                // A Deployment, a ConfigMap: nothing the agent reads, but a syntax error is still an error.
                while (parser.nextToken() != JsonToken.END_OBJECT) {
                    parser.skipChildren();
                }
                return parser.nextToken() == null ? List.of() : null;
            }
            Object bound = readerOf(kind).readValue(header.whole(parser));
            return parser.nextToken() == null ? List.of(bound) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private ObjectReader readerOf(ResourceKind kind) {
        ObjectReader reader = readers[kind.ordinal()];
        if (reader == null) {
            reader = libYamlModel.readerFor(kind.type());
            readers[kind.ordinal()] = reader;
        }
        return reader;
    }

    /** fabric8's serialization, lending its mapper configuration (modules, features) to another mapper. */
    private static final class ModelSerialization extends KubernetesSerialization {
        ObjectMapper configured(ObjectMapper base) {
            return configureMapper(base);
        }
    }

    /**
     * Characters around which LibYAML (YAML 1.1) reads otherwise than snakeyaml-engine (YAML 1.2): a tab after a
     * colon ({@code a:<TAB>b}), the escapes {@code \L} and {@code \P}, line breaks YAML 1.2 no longer has (NEL, LS,
     * PS), a byte-order mark, the characters that start anchors, aliases and tags, whose names allow other
     * characters in each ({@code &a: b} is an anchor {@code a:} for snakeyaml-engine, an anchor {@code a} then a
     * colon for LibYAML), {@code ?}, which starts a key in a flow collection for LibYAML even before a non-blank
     * ({@code [?q]}), and block scalars ({@code |}, {@code >}), whose leading blank lines snakeyaml-engine checks
     * more strictly. A Service or an EndpointSlice rarely holds any; documents that do are parsed as before.
     */
    static final String SNAKEYAML_DECIDES = "\t\\\u0085\u2028\u2029\ufeff&*!?|>";

    /**
     * Whether LibYAML may read {@code document}: it holds none of {@link #SNAKEYAML_DECIDES} and is within
     * snakeyaml-engine's size limit, so what LibYAML accepts, snakeyaml-engine reads alike (LibYamlParserTest
     * compares the two over generated documents).
     */
    static boolean libYamlReadsAlike(String document) {
        return libYamlInput(document) != null;
    }

    /**
     * {@code document} in UTF-8, what LibYAML is given, when LibYAML may read it ({@link #libYamlReadsAlike}), else
     * null. One pass over those bytes: a search of the text for each of the thirteen characters was a fifteenth of a
     * parse thread's CPU (C1 compiles {@code String.indexOf} without its intrinsic).
     */
    static byte[] libYamlInput(String document) {
        if (document.length() > NO_MARKS.getCodePointLimit()) {
            return null;
        }
        byte[] utf8 = document.getBytes(StandardCharsets.UTF_8);
        return holdsNoneOfSnakeYamlDecides(utf8, 0, utf8.length) ? utf8 : null;
    }

    /**
     * Whether LibYAML may read the ASCII document {@code ascii[from, to)} ({@link #libYamlReadsAlike}; one character a
     * byte, so its length is its count of code points).
     */
    static boolean libYamlReadsAlike(byte[] ascii, int from, int to) {
        return to - from <= NO_MARKS.getCodePointLimit() && holdsNoneOfSnakeYamlDecides(ascii, from, to);
    }

    /** The ASCII characters of {@link #SNAKEYAML_DECIDES}, as bits of two longs (characters 0-63, 64-127). */
    private static final long[] ASCII_DECIDES = asciiBits(SNAKEYAML_DECIDES);

    private static long[] asciiBits(String characters) {
        long[] bits = new long[2];
        characters.chars().filter(c -> c < 0x80).forEach(c -> bits[c >> 6] |= 1L << c);
        return bits;
    }

    /**
     * Whether the UTF-8 text {@code utf8[from, to)} holds none of {@link #SNAKEYAML_DECIDES}: its ASCII characters by their
     * byte, the others (NEL, LS, PS, BOM) by their encoding, {@code C2 85}, {@code E2 80 A8}, {@code E2 80 A9},
     * {@code EF BB BF}, whose lead bytes are never a continuation byte in well-formed UTF-8. (A lone surrogate, which
     * a file's text never holds, is encoded as {@code ?}: snakeyaml-engine then reads the text as it is.)
     */
    private static boolean holdsNoneOfSnakeYamlDecides(byte[] utf8, int from, int to) {
        for (int i = from; i < to; i++) {
            int b = utf8[i];
            if (b >= 0) {
                if ((ASCII_DECIDES[b >> 6] & 1L << b) != 0) {
                    return false;
                }
            } else if (b == (byte) 0xC2) {
                if (i + 1 < to && utf8[i + 1] == (byte) 0x85) {
                    return false;
                }
            } else if (b == (byte) 0xE2) {
                if (i + 2 < to && utf8[i + 1] == (byte) 0x80 && (utf8[i + 2] == (byte) 0xA8 || utf8[i + 2] == (byte) 0xA9)) {
                    return false;
                }
            } else if (b == (byte) 0xEF) {
                if (i + 2 < to && utf8[i + 1] == (byte) 0xBB && utf8[i + 2] == (byte) 0xBF) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The document's tree: LibYAML's events read by Jackson when it can, else (no LibYAML, a document it refuses or
     * may read otherwise, see {@link #libYamlReadsAlike}) snakeyaml-engine's, whose verdict and error messages are
     * the agent's.
     */
    JsonNode treeOf(String document) {
        byte[] utf8 = libYaml == null ? null : libYamlInput(document);
        if (utf8 != null) {
            try {
                return libYaml.readTree(utf8);
            } catch (RuntimeException rejected) {
                // parsed again below: snakeyaml-engine decides and words the error
            }
        }
        return yaml.readTree(document);
    }
}
