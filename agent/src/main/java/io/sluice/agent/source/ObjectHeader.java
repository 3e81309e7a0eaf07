package io.sluice.agent.source;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.util.JsonParserSequence;
import tools.jackson.databind.util.TokenBuffer;

/**
 * The first fields of a Kubernetes object being read, up to its {@code apiVersion} and {@code kind}: what a streaming
 * bind needs to pick the model class without reading the object as a tree. The fields read are kept, to be replayed
 * in front of the rest of the same parser ({@link #whole}).
 *
 * @param apiVersion    the object's {@code apiVersion}
 * @param kind          the object's {@code kind}
 * @param replay        the object's start and every field read so far
 * @param identityFirst whether {@code apiVersion} and {@code kind} were the object's first two fields (the API server
 *                      writes them first), so that nothing else was read
 */
record ObjectHeader(String apiVersion, String kind, TokenBuffer replay, boolean identityFirst) {
    /**
     * Reads fields from {@code parser}, at an object's START_OBJECT, until {@code apiVersion} and {@code kind} are
     * both known; null when the object ends first or either is not a string.
     */
    static ObjectHeader read(JsonParser parser) {
        TokenBuffer replay = TokenBuffer.forBuffering(parser, parser.objectReadContext());
        replay.copyCurrentEvent(parser);
        String apiVersion = null;
        String kind = null;
        int fields = 0;
        while ((apiVersion == null || kind == null) && parser.nextToken() == JsonToken.PROPERTY_NAME) {
            fields++;
            String name = parser.currentName();
            replay.copyCurrentEvent(parser);
            JsonToken value = parser.nextToken();
            boolean identity = name.equals("apiVersion") || name.equals("kind");
            if (identity && value != JsonToken.VALUE_STRING) {
                return null;
            } else if (name.equals("apiVersion")) {
                apiVersion = parser.getString();
            } else if (name.equals("kind")) {
                kind = parser.getString();
            }
            replay.copyCurrentStructure(parser);
        }
        return apiVersion == null || kind == null ? null : new ObjectHeader(apiVersion, kind, replay, fields == 2);
    }

    /** The whole object: the fields read, then the rest of {@code parser} (read up to the object's END_OBJECT). */
    JsonParser whole(JsonParser parser) {
        return JsonParserSequence.createFlattened(false, replay.asParser(parser.objectReadContext()), parser);
    }
}
