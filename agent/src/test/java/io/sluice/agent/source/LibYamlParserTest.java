package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsCollector;
import org.junit.jupiter.api.Assumptions;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.resolver.JsonScalarResolver;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Jackson over LibYAML's events reads manifests exactly as Jackson over snakeyaml-engine does: the same tree for
 * every document LibYAML is given ({@link ManifestDocumentBinder#libYamlReadsAlike}), scalars typed alike whatever
 * their style, and the binder's verdict and error message for a document LibYAML refuses are snakeyaml-engine's.
 *
 * <p>Needs Debian's {@code libyaml-0-2}: with {@code CI=true} its absence fails the tests; elsewhere they are skipped
 * (the binder then parses with snakeyaml-engine alone).
 */
class LibYamlParserTest {
    private static final YAMLMapper SNAKEYAML = new YAMLMapper();
    private final KubernetesSerialization fabric8 = new KubernetesSerialization();

    @BeforeContainer
    static void libYamlIsInstalled() {
        if ("true".equals(System.getenv("CI"))) {
            assertThat(LibYamlParser.available()).as("libyaml-0.so.2 (Debian libyaml-0-2) loads").isTrue();
        }
        Assumptions.assumeTrue(LibYamlParser.available(), "libyaml-0.so.2 is not installed");
    }

    private static YAMLMapper libYaml() {
        return new YAMLMapper(new LibYamlParser.Factory(YAMLFactory.builder()));
    }

    @Property(tries = 100)
    void fabric8sYamlAndJsonReadAlike(@ForAll("services") Service service, @ForAll("slices") EndpointSlice slice) {
        YAMLMapper libYaml = libYaml();
        for (String text : List.of(fabric8.asYaml(service), fabric8.asYaml(slice), fabric8.asJson(slice))) {
            assertThat(libYaml.readTree(utf8(text))).as(text).isEqualTo(SNAKEYAML.readTree(text));
        }
    }

    /**
     * Documents of tricky scalars (YAML 1.1 booleans, octal, hex, infinities, nulls, dates, UTF-8 of every length,
     * quotes, comment and indicator characters) plain or quoted, in block and flow collections, with comments. Whatever LibYAML accepts of what the binder gives it, snakeyaml-engine accepts
     * with the same tree; a text given to LibYAML is never one snakeyaml-engine refuses unless LibYAML refuses it too.
     */
    @Property(tries = 400)
    void whatLibYamlAcceptsSnakeyamlReadsAlike(@ForAll("documents") String document) {
        StatisticsCollector outcomes = Statistics.label("outcome");
        // Many documents must reach the comparison, or the property proves little (many others are not valid YAML).
        outcomes.coverage(coverage -> coverage.check("read alike").percentage(p -> p > 25));
        if (!ManifestDocumentBinder.libYamlReadsAlike(document)) {
            outcomes.collect("snakeyaml-engine only");
            return;
        }
        Throwable refusedBySnakeyaml = catchThrowable(() -> SNAKEYAML.readTree(document));
        JsonNode libTree;
        try {
            libTree = libYaml().readTree(utf8(document));
        } catch (RuntimeException refused) {
            outcomes.collect(refusedBySnakeyaml == null ? "refused by LibYAML only" : "refused by both");
            return; // the binder parses it again with snakeyaml-engine
        }
        assertThat(refusedBySnakeyaml).as("snakeyaml-engine refuses what LibYAML read:\n%s", document).isNull();
        assertThat(libTree).as(document).isEqualTo(SNAKEYAML.readTree(document));
        outcomes.collect("read alike");
    }

    @Example
    void scalarsAreTypedAsSnakeyamlTypesThem() {
        String document = """
                plain: [true, False, yes, on, null, ~, 7, -0, 007, 0o17, 0x1F, 1_000, 1.5e3, .inf, -.Inf, .nan, 2026-11-29]
                quoted: ['true', "7", '', "null"]
                tagged: [!!str 12, !!int '7', !!bool "true", !!float '1.5', ! 12]
                block: |
                  one
                   two
                folded: >-
                  three
                  four
                empty:
                anchored: &common {ready: true}
                alias: *common
                """;
        JsonNode tree = libYaml().readTree(utf8(document));
        assertThat(tree).isEqualTo(SNAKEYAML.readTree(document));
        assertThat(tree.get("plain").get(0).isBoolean()).isTrue();
        assertThat(tree.get("quoted").get(1).isString()).isTrue();
        assertThat(tree.get("tagged").get(1).isInt()).isTrue();
    }

    @Example
    void longAndMultiByteScalarsKeepEveryCharacter() {
        String value = "é🚀ü-".repeat(100);
        String document = "a: " + value + "\nb: \"" + value + "\"\n";
        JsonNode tree = libYaml().readTree(utf8(document));
        assertThat(tree.get("a").asString()).isEqualTo(value);
        assertThat(tree.get("b").asString()).isEqualTo(value);
    }

    @Example
    void documentsOfEverySizeReadAlikeOneAfterAnotherAndWhileAnotherIsOpen() {
        // Each parser owns its native memory: small and large documents in turn, and parsers open at the same time on
        // one thread, read as snakeyaml-engine reads them.
        YAMLMapper libYaml = libYaml();
        List<String> documents = List.of("a: 1\n", "big: " + "x".repeat(5_000) + "\n", "a: [1, 2]\n",
                "huge: " + "y".repeat(200_000) + "\nthen: z\n", "b: {c: d}\n");
        for (String document : documents) {
            assertThat(libYaml.readTree(utf8(document))).isEqualTo(SNAKEYAML.readTree(document));
        }
        try (JsonParser outer = libYaml.createParser(utf8("outer: [1, 2, 3]\n"))) {
            assertThat(outer.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            for (String document : documents) {
                assertThat(libYaml.readTree(utf8(document))).isEqualTo(SNAKEYAML.readTree(document));
            }
            assertThat(libYaml.readTree(outer)).isEqualTo(SNAKEYAML.readTree("outer: [1, 2, 3]\n"));
        }
        assertThat(libYaml.readTree(utf8("last: true\n"))).isEqualTo(SNAKEYAML.readTree("last: true\n"));
    }

    @Example
    void aDocumentLibYamlRefusesIsBoundBySnakeyaml() {
        String document = """
                %YAML 1.3
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                """;
        assertThatThrownBy(() -> libYaml().readTree(utf8(document))).isInstanceOf(LibYamlParser.LibYamlException.class);
        assertThat(new ManifestDocumentBinder(true).objectsOf(document))
                .isEqualTo(new ManifestDocumentBinder(false).objectsOf(document)).hasSize(1);
    }

    @Example
    void aSyntaxErrorIsReportedInSnakeyamlsWords() {
        String document = """
                apiVersion: v1
                kind: Service
                metadata: {name: web
                """;
        Throwable withLibYaml = catchThrowable(() -> new ManifestDocumentBinder(true).objectsOf(document));
        Throwable without = catchThrowable(() -> new ManifestDocumentBinder(false).objectsOf(document));
        assertThat(withLibYaml).isNotNull().hasMessage(without.getMessage());
    }

    @Example
    void whatOnlyYaml11AcceptsNeverReachesLibYaml() {
        List<String> documents = List.of("a:\tb\n", "a: \"\\L\\P\"\n", "a: b\u2028c\n", "a: b\u0085c\n",
                "k: {&amp: yes}\n", "k: [?q]\n", "k:\n  - |\n    \n  - x\n");
        for (String document : documents) {
            assertThat(ManifestDocumentBinder.libYamlReadsAlike(document)).as(document).isFalse();
            assertThat(outcome(new ManifestDocumentBinder(true), document)).as(document)
                    .isEqualTo(outcome(new ManifestDocumentBinder(false), document));
        }
        assertThat(ManifestDocumentBinder.libYamlReadsAlike("a: b\n")).isTrue();
    }

    /**
     * The check on the UTF-8 bytes LibYAML is given finds exactly the texts that hold one of the characters only
     * snakeyaml-engine decides, whatever surrounds them: other characters whose encodings share their bytes (U+0105 ends
     * in {@code 85}, U+2027 starts as U+2028, U+FEFE as the byte-order mark) are no reason.
     */
    @Property(tries = 1000)
    void libYamlIsGivenExactlyTheTextsWithoutCharactersSnakeyamlDecides(@ForAll("textsNearDecidingCharacters") String text) {
        boolean holdsOne = text.chars().anyMatch(c -> ManifestDocumentBinder.SNAKEYAML_DECIDES.indexOf(c) >= 0);
        assertThat(ManifestDocumentBinder.libYamlReadsAlike(text)).as(text).isEqualTo(!holdsOne);
        byte[] given = ManifestDocumentBinder.libYamlInput(text);
        if (!holdsOne) {
            assertThat(given).isEqualTo(utf8(text));
        }
    }

    @Provide
    Arbitrary<String> textsNearDecidingCharacters() {
        Arbitrary<Character> deciding = Arbitraries.of(ManifestDocumentBinder.SNAKEYAML_DECIDES.chars()
                .mapToObj(c -> (char) c).toList());
        Arbitrary<Character> lookalikes = Arbitraries.of('\u0105', '\u00c2', '\u2027', '\u202a', '\u2080', '\ufefe',
                '\ufdff', '\u0c85', '\u00a8', '\u00e2', '\u00ef', '\u00bb', '\u00bf');
        Arbitrary<Character> plain = Arbitraries.chars().ascii().filter(c -> ManifestDocumentBinder.SNAKEYAML_DECIDES.indexOf(c) < 0);
        // No surrogates: a file's text never holds a lone one (see loneSurrogatesAreLeftToSnakeyaml).
        Arbitrary<Character> any = Arbitraries.chars().filter(c -> !Character.isSurrogate(c));
        return Arbitraries.frequencyOf(Tuple.of(1, deciding), Tuple.of(6, lookalikes), Tuple.of(20, plain), Tuple.of(3, any))
                .list().ofMaxSize(40).map(cs -> cs.stream().map(String::valueOf).reduce("", String::concat));
    }

    /** UTF-8 has no lone surrogate (Java writes '?' for it): such a text is snakeyaml-engine's to read as it is. */
    @Example
    void loneSurrogatesAreLeftToSnakeyaml() {
        assertThat(ManifestDocumentBinder.libYamlReadsAlike("a: b\ud800\n")).isFalse();
        assertThat(ManifestDocumentBinder.libYamlReadsAlike("a: \ud83d\ude00\n")).isTrue();
    }

    /** The tree {@code binder} reads from {@code document}, or its error, as text. */
    private static String outcome(ManifestDocumentBinder binder, String document) {
        try {
            return binder.treeOf(document).toString();
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    @Property(tries = 50)
    void theHandWrittenResolverTypesEveryValueAsTheSchemasRegexesDo(@ForAll("resolverInputs") List<String> values) {
        ScalarResolver schema = LoadSettings.builder().build().getSchema().getScalarResolver();
        assertThat(schema).as("snakeyaml-engine's default schema").isInstanceOf(JsonScalarResolver.class);
        ScalarResolver handWritten = new LibYamlParser.JsonTypesSchema().getScalarResolver();
        for (String value : values) {
            for (boolean implicit : new boolean[] {true, false}) {
                assertThat(handWritten.resolve(value, implicit)).as("%s, implicit %s", value, implicit)
                        .isEqualTo(schema.resolve(value, implicit));
            }
        }
    }

    @Provide
    Arbitrary<List<String>> resolverInputs() {
        Arbitrary<String> numeric = Arbitraries.strings().withChars("0123456789.-+_:eExXoOabcdefinINF").ofMaxLength(8);
        Arbitrary<String> numberLike = Arbitraries.strings().withChars("0123456789.-+eE").ofMaxLength(12);
        Arbitrary<String> words = Arbitraries.strings().withChars("truefalsnTRUEFALSN.$-{}:_ 0\n\u00e9")
                .ofMaxLength(7);
        Arbitrary<String> near = Arbitraries.of("true", "false", "null", ".inf", "-.inf", ".nan", "-.nan", "+.inf",
                        ".Inf", "${X}", "${X:-y}", "$x", "-", ".", "-0", "-01", "0.", "-0.e-1", "1e+", "1E-9", "9.9.9")
                .flatMap(base -> Arbitraries.of("", " ", "\n", "0", "x", "e1").map(suffix -> base + suffix));
        Arbitrary<String> any = Arbitraries.strings().ofMaxLength(10);
        return Arbitraries.oneOf(Arbitraries.of(SCALARS), numeric, numberLike, words, near, any).list()
                .ofMinSize(500).ofMaxSize(3000);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Provide
    Arbitrary<Service> services() {
        return ModelArbitraries.services();
    }

    @Provide
    Arbitrary<EndpointSlice> slices() {
        return ModelArbitraries.slices();
    }

    private static final List<String> SCALARS = List.of("yes", "No", "on", "OFF", "true", "False", "TRUE", "null",
            "Null", "~", "", "0", "-0", "007", "0o17", "0x1F", "1_000", "+12", "1e3", "1.5", "-.5", ".inf", "-.Inf",
            ".nan", "12:30", "2026-11-29", "10.0.0.1", "a b", "ünïcødé", "🚀 up", "日本", "quote's", "dq\"x", "#hash",
            "a#b", "a #b", "- dash", ": colon", "key: value", "[x]", "{y}", "*star", "&amp", "!bang", "%pct", "@at",
            "`tick", "?q", "|bar", ">gt", "a,b", ":x", "-x", "x:y", "x:", "x?", "x-", "x#", "x%", "x,", "x]", "x}",
            "a: b", "- a", "'q", "\"dq", "a'b", "--- x", "... x", "%x", "0.", "0b101", "+.inf", "12e", "1:20:30", "multi\nline", "trailing ", " leading", "x".repeat(90));

    @Provide
    Arbitrary<String> documents() {
        Arbitrary<String> scalar = Combinators.combine(Arbitraries.of(SCALARS), Arbitraries.integers().between(0, 2))
                .as(LibYamlParserTest::render);
        Arbitrary<String> flowValue = scalar.list().ofMaxSize(3).map(items -> "[" + String.join(", ", items) + "]");
        Arbitrary<String> flowMap = Combinators.combine(scalar, scalar)
                .as((k, v) -> "{" + k + ": " + v + ", other: " + v + "}");
        Arbitrary<String> value = Arbitraries.oneOf(scalar, flowValue, flowMap);
        Arbitrary<String> entry = Combinators.combine(Arbitraries.integers().between(0, 2), value,
                Arbitraries.of("", " # note", "  #x"))
                .as((shape, v, comment) -> switch (shape) {
                    case 0 -> ": " + v + comment;
                    case 1 -> ":" + comment + "\n  - " + v + "\n  - " + v;
                    default -> ":\n  inner: " + v + comment;
                });
        return entry.list().ofMinSize(1).ofMaxSize(5).map(entries -> {
            StringBuilder sb = new StringBuilder("# generated\n");
            for (int i = 0; i < entries.size(); i++) {
                sb.append("k").append(i).append(entries.get(i)).append('\n');
            }
            return sb.toString();
        });
    }

    /**
     * {@code text} as a plain (may not be valid YAML), single-quoted or double-quoted scalar; block scalars never
     * reach LibYAML through the binder.
     */
    private static String render(String text, int style) {
        return switch (style) {
            case 0 -> text.replace("\n", " ");
            case 1 -> "'" + text.replace("'", "''").replace("\n", "\n\n") + "'";
            default -> "\"" + text.replace("\"", "\\\"").replace("\n", "\\n") + "\"";
        };
    }
}
