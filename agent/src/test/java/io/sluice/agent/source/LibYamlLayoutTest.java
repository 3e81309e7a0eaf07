package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sizes, offsets and enum values {@link LibYamlParser} reads LibYAML's structs with are those of the installed
 * {@code yaml.h}: a small C program compiled against the header prints them, so a libyaml whose layout moved fails
 * here instead of handing the binder wrong strings.
 *
 * <p>Needs clang and Debian's {@code libyaml-dev} (both installed by {@code bin/setup}): with {@code CI=true} their
 * absence fails the test; elsewhere it is skipped.
 */
class LibYamlLayoutTest {
    private static final String PROGRAM = """
            #include <stddef.h>
            #include <stdio.h>
            #include <yaml.h>
            #define P(name, value) printf("%s %ld\\n", name, (long) (value))
            int main(void) {
                P("PARSER_SIZE", sizeof(yaml_parser_t));
                P("EVENT_SIZE", sizeof(yaml_event_t));
                P("PARSER_PROBLEM", offsetof(yaml_parser_t, problem));
                P("EVENT_TYPE", offsetof(yaml_event_t, type));
                P("SCALAR_ANCHOR", offsetof(yaml_event_t, data.scalar.anchor));
                P("ALIAS_ANCHOR", offsetof(yaml_event_t, data.alias.anchor));
                P("SEQUENCE_ANCHOR", offsetof(yaml_event_t, data.sequence_start.anchor));
                P("MAPPING_ANCHOR", offsetof(yaml_event_t, data.mapping_start.anchor));
                P("SCALAR_TAG", offsetof(yaml_event_t, data.scalar.tag));
                P("SEQUENCE_TAG", offsetof(yaml_event_t, data.sequence_start.tag));
                P("MAPPING_TAG", offsetof(yaml_event_t, data.mapping_start.tag));
                P("SCALAR_VALUE", offsetof(yaml_event_t, data.scalar.value));
                P("SCALAR_LENGTH", offsetof(yaml_event_t, data.scalar.length));
                P("SCALAR_STYLE", offsetof(yaml_event_t, data.scalar.style));
                P("SEQUENCE_STYLE", offsetof(yaml_event_t, data.sequence_start.style));
                P("MAPPING_STYLE", offsetof(yaml_event_t, data.mapping_start.style));
                P("DOCUMENT_START_IMPLICIT", offsetof(yaml_event_t, data.document_start.implicit));
                P("DOCUMENT_END_IMPLICIT", offsetof(yaml_event_t, data.document_end.implicit));
                P("STREAM_START", YAML_STREAM_START_EVENT);
                P("STREAM_END", YAML_STREAM_END_EVENT);
                P("DOCUMENT_START", YAML_DOCUMENT_START_EVENT);
                P("DOCUMENT_END", YAML_DOCUMENT_END_EVENT);
                P("ALIAS", YAML_ALIAS_EVENT);
                P("SCALAR", YAML_SCALAR_EVENT);
                P("SEQUENCE_START", YAML_SEQUENCE_START_EVENT);
                P("SEQUENCE_END", YAML_SEQUENCE_END_EVENT);
                P("MAPPING_START", YAML_MAPPING_START_EVENT);
                P("MAPPING_END", YAML_MAPPING_END_EVENT);
                P("PLAIN", YAML_PLAIN_SCALAR_STYLE);
                P("SINGLE_QUOTED", YAML_SINGLE_QUOTED_SCALAR_STYLE);
                P("DOUBLE_QUOTED", YAML_DOUBLE_QUOTED_SCALAR_STYLE);
                P("LITERAL", YAML_LITERAL_SCALAR_STYLE);
                P("FLOW_SEQUENCE", YAML_FLOW_SEQUENCE_STYLE);
                P("FLOW_MAPPING", YAML_FLOW_MAPPING_STYLE);
                return 0;
            }
            """;

    @Test
    void theParserReadsLibYamlsStructsAtTheHeadersOffsets(@TempDir Path dir) throws Exception {
        Map<String, Long> header = compiledLayout(dir);
        Map<String, Long> java = new HashMap<>();
        java.put("PARSER_SIZE", LibYamlParser.PARSER_SIZE);
        java.put("EVENT_SIZE", LibYamlParser.EVENT_SIZE);
        java.put("PARSER_PROBLEM", LibYamlParser.PARSER_PROBLEM);
        java.put("EVENT_TYPE", LibYamlParser.EVENT_TYPE);
        for (String kind : List.of("SCALAR", "ALIAS", "SEQUENCE", "MAPPING")) {
            java.put(kind + "_ANCHOR", LibYamlParser.EVENT_ANCHOR);
        }
        for (String kind : List.of("SCALAR", "SEQUENCE", "MAPPING")) {
            java.put(kind + "_TAG", LibYamlParser.EVENT_TAG);
        }
        java.put("SCALAR_VALUE", LibYamlParser.SCALAR_VALUE);
        java.put("SCALAR_LENGTH", LibYamlParser.SCALAR_LENGTH);
        java.put("SCALAR_STYLE", LibYamlParser.SCALAR_STYLE);
        java.put("SEQUENCE_STYLE", LibYamlParser.COLLECTION_STYLE);
        java.put("MAPPING_STYLE", LibYamlParser.COLLECTION_STYLE);
        java.put("DOCUMENT_START_IMPLICIT", LibYamlParser.DOCUMENT_START_IMPLICIT);
        java.put("DOCUMENT_END_IMPLICIT", LibYamlParser.DOCUMENT_END_IMPLICIT);
        java.put("STREAM_START", (long) LibYamlParser.STREAM_START);
        java.put("STREAM_END", (long) LibYamlParser.STREAM_END);
        java.put("DOCUMENT_START", (long) LibYamlParser.DOCUMENT_START);
        java.put("DOCUMENT_END", (long) LibYamlParser.DOCUMENT_END);
        java.put("ALIAS", (long) LibYamlParser.ALIAS);
        java.put("SCALAR", (long) LibYamlParser.SCALAR);
        java.put("SEQUENCE_START", (long) LibYamlParser.SEQUENCE_START);
        java.put("SEQUENCE_END", (long) LibYamlParser.SEQUENCE_END);
        java.put("MAPPING_START", (long) LibYamlParser.MAPPING_START);
        java.put("MAPPING_END", (long) LibYamlParser.MAPPING_END);
        java.put("PLAIN", (long) LibYamlParser.PLAIN);
        java.put("SINGLE_QUOTED", (long) LibYamlParser.SINGLE_QUOTED);
        java.put("DOUBLE_QUOTED", (long) LibYamlParser.DOUBLE_QUOTED);
        java.put("LITERAL", (long) LibYamlParser.LITERAL);
        java.put("FLOW_SEQUENCE", (long) LibYamlParser.FLOW);
        java.put("FLOW_MAPPING", (long) LibYamlParser.FLOW);

        assertThat(java).isEqualTo(header);
    }

    /** What the C program prints, name to value; skips (fails under CI) without clang or yaml.h. */
    private static Map<String, Long> compiledLayout(Path dir) throws IOException, InterruptedException {
        boolean header = Files.isRegularFile(Path.of("/usr/include/yaml.h"));
        boolean clang = Files.isExecutable(Path.of("/usr/bin/clang"));
        if ("true".equals(System.getenv("CI"))) {
            assertThat(header).as("/usr/include/yaml.h (Debian libyaml-dev)").isTrue();
            assertThat(clang).as("/usr/bin/clang").isTrue();
        }
        Assumptions.assumeTrue(header && clang, "clang or libyaml-dev's yaml.h is not installed");
        Path source = Files.writeString(dir.resolve("layout.c"), PROGRAM);
        Path binary = dir.resolve("layout");
        assertThat(run(dir, "/usr/bin/clang", "-o", binary.toString(), source.toString()).exit)
                .as("clang compiles the layout program").isZero();
        Output printed = run(dir, binary.toString());
        assertThat(printed.exit).isZero();
        Map<String, Long> layout = new HashMap<>();
        for (String line : printed.text.split("\n")) {
            String[] nameValue = line.split(" ");
            layout.put(nameValue[0], Long.parseLong(nameValue[1]));
        }
        return layout;
    }

    private record Output(int exit, String text) {
    }

    private static Output run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finishes", command[0]).isTrue();
        return new Output(p.exitValue(), text);
    }
}
