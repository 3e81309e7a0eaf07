package io.sluice.agent.source;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.Reader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.ConstructNode;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.DocumentEndEvent;
import org.snakeyaml.engine.v2.events.DocumentStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.ImplicitTuple;
import org.snakeyaml.engine.v2.events.MappingEndEvent;
import org.snakeyaml.engine.v2.events.MappingStartEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.events.SequenceEndEvent;
import org.snakeyaml.engine.v2.events.SequenceStartEvent;
import org.snakeyaml.engine.v2.events.StreamEndEvent;
import org.snakeyaml.engine.v2.events.StreamStartEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.schema.JsonSchema;
import org.snakeyaml.engine.v2.schema.Schema;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.io.IOContext;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLFactoryBuilder;
import tools.jackson.dataformat.yaml.YAMLParser;

/**
 * Jackson's YAML parser with LibYAML (the reference C parser, Debian's {@code libyaml-0-2}, called through FFM)
 * producing the YAML events in place of snakeyaml-engine's scanner and parser. Everything after the events is
 * Jackson's own: scalar typing (ints, floats, booleans, nulls by the same resolver), anchors, tags, the tree and
 * the binding, so a document LibYAML accepts gives the same tree.
 *
 * <p>Why: snakeyaml-engine's scanner was ~70 % of the CPU and of the allocation of reading a manifest (63 KB for a
 * 1.4 KB EndpointSlice: iterators over its possible simple keys, Optionals and token lists on every token, which
 * only C2's escape analysis would remove, and the agent runs C1 only). LibYAML allocates nothing on the Java heap;
 * what is left is one event object and one string per scalar.
 *
 * <p>LibYAML implements YAML 1.1 and snakeyaml-engine 1.2: their syntax differs in corners (snakeyaml-engine is
 * stricter about some of them), so the binder gives LibYAML only documents that keep clear of those corners, and a
 * document LibYAML rejects is parsed again with snakeyaml-engine, which then gives the error the agent reports (see
 * {@link ManifestDocumentBinder#libYamlReadsAlike}); {@link LibYamlException} says so. Behaviour tests compare the
 * two parsers' trees (LibYamlParserTest), so a wrong offset below fails them at once.
 *
 * <p>Layouts, from libyaml 0.2.5's {@code yaml.h} on x86-64/aarch64 (LP64), no padding surprises (checked against
 * the installed header by {@code LibYamlLayoutTest}):
 * <pre>
 * yaml_event_t (104 bytes)       type:int @0, union data @8, start_mark @56 (index, line, column: size_t), end_mark @80
 *   scalar                       anchor* @8, tag* @16, value* @24, length:size_t @32, plain_implicit @40,
 *                                quoted_implicit @44, style @48
 *   sequence_start/mapping_start anchor* @8, tag* @16, implicit @24, style @28
 *   alias                        anchor* @8
 *   document_start               version_directive* @8, tag_directives {start*, end*} @16, implicit @32
 *   document_end                 implicit @8
 * yaml_parser_t (480 bytes)      error:int @0, problem* @8, ...
 * </pre>
 *
 * <p>Not thread-safe: one parser per document, used by one thread (its native memory is a confined arena).
 */
final class LibYamlParser extends YAMLParser {
    static final long PARSER_SIZE = 480;
    static final long EVENT_SIZE = 104;
    static final long PARSER_PROBLEM = 8;
    static final long EVENT_TYPE = 0;
    static final long EVENT_ANCHOR = 8;
    static final long EVENT_TAG = 16;
    static final long SCALAR_VALUE = 24;
    static final long SCALAR_LENGTH = 32;
    static final long SCALAR_STYLE = 48;
    static final long COLLECTION_STYLE = 28;
    static final long DOCUMENT_START_IMPLICIT = 32;
    static final long DOCUMENT_END_IMPLICIT = 8;

    // yaml_event_type_t
    static final int STREAM_START = 1;
    static final int STREAM_END = 2;
    static final int DOCUMENT_START = 3;
    static final int DOCUMENT_END = 4;
    static final int ALIAS = 5;
    static final int SCALAR = 6;
    static final int SEQUENCE_START = 7;
    static final int SEQUENCE_END = 8;
    static final int MAPPING_START = 9;
    static final int MAPPING_END = 10;
    // yaml_scalar_style_t; yaml_sequence_style_t and yaml_mapping_style_t
    static final int PLAIN = 1;
    static final int SINGLE_QUOTED = 2;
    static final int DOUBLE_QUOTED = 3;
    static final int LITERAL = 4;
    static final int FLOW = 2;

    private static final Optional<Mark> NO_MARK = Optional.empty();
    // Events without an anchor, a tag or a value are immutable and alike: one instance each.
    private static final Event STREAM_START_EVENT = new StreamStartEvent(NO_MARK, NO_MARK);
    private static final Event STREAM_END_EVENT = new StreamEndEvent(NO_MARK, NO_MARK);
    private static final Event MAPPING_END_EVENT = new MappingEndEvent(NO_MARK, NO_MARK);
    private static final Event SEQUENCE_END_EVENT = new SequenceEndEvent(NO_MARK, NO_MARK);
    private static final Event BLOCK_MAPPING_START = new MappingStartEvent(Optional.empty(), Optional.empty(), true,
            FlowStyle.BLOCK, NO_MARK, NO_MARK);
    private static final Event FLOW_MAPPING_START = new MappingStartEvent(Optional.empty(), Optional.empty(), true,
            FlowStyle.FLOW, NO_MARK, NO_MARK);
    private static final Event BLOCK_SEQUENCE_START = new SequenceStartEvent(Optional.empty(), Optional.empty(), true,
            FlowStyle.BLOCK, NO_MARK, NO_MARK);
    private static final Event FLOW_SEQUENCE_START = new SequenceStartEvent(Optional.empty(), Optional.empty(), true,
            FlowStyle.FLOW, NO_MARK, NO_MARK);
    /** The input of the snakeyaml-engine parser Jackson's parser builds and never reads. Stateless. */
    private static final Reader NO_INPUT = new Reader() {
        @Override
        public int read(char[] buffer, int offset, int length) {
            return -1;
        }

        @Override
        public void close() {
        }
    };
    private static final ImplicitTuple PLAIN_IMPLICIT = new ImplicitTuple(true, false);
    private static final ImplicitTuple QUOTED_IMPLICIT = new ImplicitTuple(false, true);
    private static final ImplicitTuple TAGGED = new ImplicitTuple(false, false);

    /** LibYAML rejected a document (or could not start): parse it with snakeyaml-engine for the verdict. */
    static final class LibYamlException extends RuntimeException {
        LibYamlException(String message) {
            super(message, null, false, false);
        }
    }

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment parser;
    private final MemorySegment event;
    private byte[] scratch = new byte[64];
    private boolean freed;

    private LibYamlParser(ObjectReadContext readCtxt, IOContext ioCtxt, int streamReadFeatures, int formatFeatures,
                          LoadSettings loadSettings, byte[] data, int offset, int len) {
        // Jackson's parser builds a snakeyaml-engine parser over this reader; it is never asked for an event.
        super(readCtxt, ioCtxt, null, streamReadFeatures, formatFeatures, loadSettings, NO_INPUT);
        parser = arena.allocate(PARSER_SIZE, 8);
        event = arena.allocate(EVENT_SIZE, 8);
        MemorySegment input = arena.allocate(len + 1L);
        MemorySegment.copy(data, offset, input, JAVA_BYTE, 0, len);
        try {
            if ((int) LibYaml.INITIALIZE.invokeExact(parser) == 0) {
                arena.close();
                freed = true;
                throw new LibYamlException("yaml_parser_initialize failed (out of memory)");
            }
            LibYaml.SET_INPUT_STRING.invokeExact(parser, input, (long) len);
        } catch (LibYamlException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libyaml", t);
        }
    }

    /** Whether LibYAML was found; without it the manifest source parses with snakeyaml-engine alone. */
    static boolean available() {
        return LibYaml.available();
    }

    @Override
    protected Event nextEvent() {
        if (freed) {
            return null;
        }
        try {
            if ((int) LibYaml.PARSE.invokeExact(parser, event) == 0) {
                long problem = parser.get(JAVA_LONG, PARSER_PROBLEM);
                throw new LibYamlException(problem == 0 ? "libyaml: not valid YAML" : "libyaml: " + cString(problem));
            }
            int type = event.get(JAVA_INT, EVENT_TYPE);
            try {
                return toEvent(type);
            } finally {
                if (LibYamlEvents.ownsMemory(type, event)) {
                    LibYaml.EVENT_DELETE.invokeExact(event);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libyaml", t);
        }
    }

    /** The snakeyaml-engine event for LibYAML's current one, as snakeyaml-engine's own parser would make it. */
    private Event toEvent(int type) {
        return switch (type) {
            case STREAM_START -> STREAM_START_EVENT;
            case STREAM_END -> STREAM_END_EVENT;
            case DOCUMENT_START -> new DocumentStartEvent(event.get(JAVA_INT, DOCUMENT_START_IMPLICIT) == 0,
                    Optional.empty(), Map.of(), NO_MARK, NO_MARK);
            case DOCUMENT_END -> new DocumentEndEvent(event.get(JAVA_INT, DOCUMENT_END_IMPLICIT) == 0, NO_MARK, NO_MARK);
            case ALIAS -> new AliasEvent(anchor(), NO_MARK, NO_MARK);
            case SCALAR -> scalar();
            case SEQUENCE_START -> {
                if (plainCollection()) {
                    yield flowStyle() == FlowStyle.FLOW ? FLOW_SEQUENCE_START : BLOCK_SEQUENCE_START;
                }
                Optional<String> tag = tag();
                yield new SequenceStartEvent(anchor(), tag, tag.isEmpty(), flowStyle(), NO_MARK, NO_MARK);
            }
            case SEQUENCE_END -> SEQUENCE_END_EVENT;
            case MAPPING_START -> {
                if (plainCollection()) {
                    yield flowStyle() == FlowStyle.FLOW ? FLOW_MAPPING_START : BLOCK_MAPPING_START;
                }
                Optional<String> tag = tag();
                yield new MappingStartEvent(anchor(), tag, tag.isEmpty(), flowStyle(), NO_MARK, NO_MARK);
            }
            case MAPPING_END -> MAPPING_END_EVENT;
            default -> throw new LibYamlException("libyaml: unexpected event " + type);
        };
    }

    private ScalarEvent scalar() {
        int style = event.get(JAVA_INT, SCALAR_STYLE);
        Optional<String> tag = tag();
        // As snakeyaml-engine's parser: plain and untagged resolves by value, quoted and untagged is a string.
        ImplicitTuple implicit = tag.isPresent() ? TAGGED : style == PLAIN ? PLAIN_IMPLICIT : QUOTED_IMPLICIT;
        ScalarStyle scalarStyle = switch (style) {
            case SINGLE_QUOTED -> ScalarStyle.SINGLE_QUOTED;
            case DOUBLE_QUOTED -> ScalarStyle.DOUBLE_QUOTED;
            case LITERAL -> ScalarStyle.LITERAL;
            case PLAIN -> ScalarStyle.PLAIN;
            default -> ScalarStyle.FOLDED;
        };
        String value = string(event.get(JAVA_LONG, SCALAR_VALUE), event.get(JAVA_LONG, SCALAR_LENGTH));
        return new ScalarEvent(anchor(), tag, implicit, value, scalarStyle, NO_MARK, NO_MARK);
    }

    /** Whether the collection that starts has neither an anchor nor a tag. */
    private boolean plainCollection() {
        return event.get(JAVA_LONG, EVENT_ANCHOR) == 0 && event.get(JAVA_LONG, EVENT_TAG) == 0;
    }

    private FlowStyle flowStyle() {
        return event.get(JAVA_INT, COLLECTION_STYLE) == FLOW ? FlowStyle.FLOW : FlowStyle.BLOCK;
    }

    private Optional<Anchor> anchor() {
        long at = event.get(JAVA_LONG, EVENT_ANCHOR);
        return at == 0 ? Optional.empty() : Optional.of(new Anchor(cString(at)));
    }

    private Optional<String> tag() {
        long at = event.get(JAVA_LONG, EVENT_TAG);
        return at == 0 ? Optional.empty() : Optional.of(cString(at));
    }

    /** The UTF-8 text of {@code length} bytes at native address {@code at}. */
    private String string(long at, long length) {
        int n = Math.toIntExact(length);
        if (n == 0) {
            return "";
        }
        if (scratch.length < n) {
            scratch = new byte[Math.max(n, 2 * scratch.length)];
        }
        MemorySegment.copy(LibYaml.NATIVE, JAVA_BYTE, at, scratch, 0, n);
        return new String(scratch, 0, n, StandardCharsets.UTF_8);
    }

    private static String cString(long at) {
        return LibYaml.NATIVE.getString(at);
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            free();
        }
    }

    private void free() {
        if (!freed) {
            freed = true;
            try {
                LibYaml.DELETE.invokeExact(parser);
            } catch (Throwable t) {
                throw new IllegalStateException("libyaml", t);
            } finally {
                arena.close();
            }
        }
    }

    /**
     * snakeyaml-engine's JSON schema (its default) with a scalar resolver that types a plain scalar by hand, exactly as
     * the schema's regular expressions would: Jackson asks it the type of every plain scalar, and the schema's resolver
     * answers with a map look-up by first character (boxing it) and up to four regular expressions (a {@code Matcher}
     * each; every string ran at least the two of empty and null). Names, addresses, labels need one character's look
     * here; numbers one pass over their characters. Only a value starting with {@code $} (the schema's environment
     * variable syntax) still goes to the schema's resolver. LibYamlParserTest compares the two over generated values.
     * Thread-safe (stateless).
     */
    static final class JsonTypesSchema implements Schema {
        private final Schema schema = new JsonSchema();
        private final ScalarResolver regexResolver = schema.getScalarResolver();
        private final ScalarResolver resolver = (value, implicit) -> implicit ? plainType(value) : Tag.STR;

        private Tag plainType(String value) {
            Tag type = typeOf(value);
            return type != null ? type : regexResolver.resolve(value, true);
        }

        @Override
        public ScalarResolver getScalarResolver() {
            return resolver;
        }

        @Override
        public Map<Tag, ConstructNode> getSchemaTagConstructors() {
            return schema.getSchemaTagConstructors();
        }

        /**
         * The JSON schema's type of a plain scalar: null for {@code ""} and {@code null}, bool for {@code true} and
         * {@code false}, int for {@code -?(0|[1-9][0-9]*)}, float for
         * {@code -?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?}, {@code -?.inf} and {@code .nan}, else a string;
         * null for a value starting with {@code $}, which only the schema's resolver types.
         */
        static Tag typeOf(String value) {
            if (value.isEmpty()) {
                return Tag.NULL;
            }
            return switch (value.charAt(0)) {
                case 't' -> value.equals("true") ? Tag.BOOL : Tag.STR;
                case 'f' -> value.equals("false") ? Tag.BOOL : Tag.STR;
                case 'n' -> value.equals("null") ? Tag.NULL : Tag.STR;
                case '-', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> numberType(value);
                case '$' -> null;
                default -> Tag.STR;
            };
        }

        private static Tag numberType(String value) {
            int n = value.length();
            int i = value.charAt(0) == '-' ? 1 : 0;
            if (i < n && value.charAt(i) == '.') {
                return value.regionMatches(i, ".inf", 0, 4) && i + 4 == n || value.equals(".nan") ? Tag.FLOAT : Tag.STR;
            }
            // the integer part: 0, or a digit 1-9 and more digits
            if (i >= n || !isDigit(value.charAt(i))) {
                return Tag.STR;
            }
            if (value.charAt(i++) != '0') {
                while (i < n && isDigit(value.charAt(i))) {
                    i++;
                }
            }
            if (i == n) {
                return Tag.INT;
            }
            if (value.charAt(i) == '.') {
                i++;
                while (i < n && isDigit(value.charAt(i))) {
                    i++;
                }
            }
            if (i < n && (value.charAt(i) == 'e' || value.charAt(i) == 'E')) {
                i++;
                if (i < n && (value.charAt(i) == '-' || value.charAt(i) == '+')) {
                    i++;
                }
                int digits = i;
                while (i < n && isDigit(value.charAt(i))) {
                    i++;
                }
                if (i == digits) {
                    return Tag.STR;
                }
            }
            return i == n ? Tag.FLOAT : Tag.STR;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }

    /**
     * A {@link YAMLFactory} whose parsers over bytes (UTF-8) are LibYAML's; over text (Strings, Readers) they stay
     * snakeyaml-engine's. Only when {@link #available()}.
     */
    static final class Factory extends YAMLFactory {
        /**
         * {@code builder}'s load settings are replaced: Jackson's parser still builds a snakeyaml-engine parser that
         * is never read, so its buffer is one character (the default 1,024 were 2 KB per document), marks are off
         * (LibYAML's events carry none), and the default schema's scalar resolver remembers its answers (see
         * {@link RememberingSchema}).
         */
        Factory(YAMLFactoryBuilder builder) {
            super(builder.loadSettings(LoadSettings.builder().setUseMarks(false).setBufferSize(1)
                    .setSchema(new JsonTypesSchema()).build()));
            if (!available()) {
                throw new IllegalStateException("LibYAML is not available: " + LibYaml.whyUnavailable());
            }
        }

        private Factory(Factory source) {
            super(source);
        }

        @Override
        public YAMLFactory copy() {
            return new Factory(this);
        }

        @Override
        protected YAMLParser _createParser(ObjectReadContext readCtxt, IOContext ioCtxt, byte[] data, int offset,
                                           int len) {
            return new LibYamlParser(readCtxt, ioCtxt, readCtxt.getStreamReadFeatures(_streamReadFeatures),
                    readCtxt.getFormatReadFeatures(_formatReadFeatures), _loadSettings, data, offset, len);
        }
    }
}
