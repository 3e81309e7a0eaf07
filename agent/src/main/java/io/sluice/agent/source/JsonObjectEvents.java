package io.sluice.agent.source;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * One JSON object's tokens, read by Jackson, as the events LibYAML gives for the same text, framed as a document of
 * its own: for {@link CompactServiceBinder}, which binds a manifest's Services and EndpointSlices from LibYAML's events,
 * to bind an API list's items the same way. An object is a mapping, an array a sequence; a property name or a JSON
 * string is a double-quoted scalar; a number, {@code true}, {@code false} and {@code null} are plain scalars of their
 * own text, which the JSON schema types as LibYAML's reading of that JSON would. Nothing has an anchor or a tag.
 * Any other token is an alias event, which the binder does not take.
 *
 * <p>Not thread-safe: it moves the parser, which stands at the object's END_OBJECT once the document's end is read.
 * Made by {@link #at} or {@link #resumed}.
 */
final class JsonObjectEvents implements CompactServiceBinder.Events {
    private final JsonParser parser;
    /** Events read so far of the frame before the object (stream and document start, and a resumed object's start). */
    private int framed;
    /** Frame events before the object's own tokens: 2, or 3 for an object resumed after its first fields. */
    private final int frame;
    /** Whether the parser's current token is the next event's, not yet read. */
    private boolean currentPending = true;
    /** Objects and arrays open, the document's own included. */
    private int depth;
    /** Events read of the frame after the object (document and stream end). */
    private int ended;
    private int style;
    /** The current scalar's token (a property name, a string, a number, true, false or null). */
    private JsonToken scalarToken;
    /** The current scalar's text once asked for, else null: a String is made only for a scalar the binder keeps. */
    private String scalar;

    private JsonObjectEvents(JsonParser parser, int frame, int depth) {
        this.parser = parser;
        this.frame = frame;
        this.depth = depth;
    }

    /** Events of the object starting at {@code parser}'s current token, which must be its START_OBJECT. */
    static JsonObjectEvents at(JsonParser parser) {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("not at an object's start: " + parser.currentToken());
        }
        return new JsonObjectEvents(parser, 2, 0);
    }

    /**
     * Events of the object whose first fields were read already, from {@code parser}'s current token on (the next
     * field's name, or the object's END_OBJECT): a mapping's start, then its fields from that one.
     */
    static JsonObjectEvents resumed(JsonParser parser) {
        JsonToken token = parser.currentToken();
        if (token != JsonToken.PROPERTY_NAME && token != JsonToken.END_OBJECT) {
            throw new IllegalArgumentException("not at an object's field: " + token);
        }
        return new JsonObjectEvents(parser, 3, 1);
    }

    @Override
    public int next() {
        if (framed < frame) {
            return switch (++framed) {
                case 1 -> LibYamlParser.STREAM_START;
                case 2 -> LibYamlParser.DOCUMENT_START;
                default -> LibYamlParser.MAPPING_START;
            };
        }
        if (depth == 0 && !currentPending) {
            return ++ended == 1 ? LibYamlParser.DOCUMENT_END : LibYamlParser.STREAM_END;
        }
        JsonToken token = currentPending ? parser.currentToken() : parser.nextToken();
        currentPending = false;
        if (token == null) {
            return LibYamlParser.ALIAS;
        }
        return switch (token) {
            case START_OBJECT -> {
                depth++;
                yield LibYamlParser.MAPPING_START;
            }
            case END_OBJECT -> {
                depth--;
                yield LibYamlParser.MAPPING_END;
            }
            case START_ARRAY -> {
                depth++;
                yield LibYamlParser.SEQUENCE_START;
            }
            case END_ARRAY -> {
                depth--;
                yield LibYamlParser.SEQUENCE_END;
            }
            case PROPERTY_NAME, VALUE_STRING -> scalar(LibYamlParser.DOUBLE_QUOTED, token);
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE, VALUE_NULL ->
                    scalar(LibYamlParser.PLAIN, token);
            default -> LibYamlParser.ALIAS;
        };
    }

    private int scalar(int style, JsonToken token) {
        this.style = style;
        this.scalarToken = token;
        this.scalar = null;
        return LibYamlParser.SCALAR;
    }

    /** Reads past the value after the current property name, unbuilt (managed fields). */
    void skipValue() {
        JsonToken value = parser.nextToken();
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
            parser.skipChildren();
        }
    }

    @Override
    public boolean decorated() {
        return false;
    }

    @Override
    public int scalarStyle() {
        return style;
    }

    @Override
    public String scalar() {
        if (scalar == null) {
            scalar = scalarToken == JsonToken.PROPERTY_NAME ? parser.currentName() : parser.getString();
        }
        return scalar;
    }

    @Override
    public char[] scalarChars() {
        return parser.getStringCharacters();
    }

    @Override
    public int scalarOffset() {
        return parser.getStringOffset();
    }

    @Override
    public int scalarLength() {
        return parser.getStringLength();
    }
}
