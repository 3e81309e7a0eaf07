package io.sluice.agent.cli;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The JSON output of the commands: indented, fields in the order the command wrote them. */
public final class CliJson {
    /** Shared and thread-safe once built. */
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private CliJson() {
    }

    /** A new empty object. */
    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** The document's text, ending with a newline. */
    public static String render(ObjectNode document) {
        return MAPPER.writeValueAsString(document) + "\n";
    }
}
