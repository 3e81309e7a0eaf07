package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files of command output under {@code src/test/resources/cli/}. With {@code -Dsluice.golden.update=true}
 * (or env {@code SLUICE_GOLDEN_UPDATE=true}) a test writes what it got into the source tree instead of comparing,
 * so a deliberate change of output is one run and a reviewed diff.
 */
final class Golden {
    private Golden() {
    }

    static void assertMatches(String name, String actual) {
        if (updating()) {
            Path file = sourceDir().resolve(name);
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, actual);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return;
        }
        try (InputStream in = Golden.class.getResourceAsStream("/cli/" + name)) {
            if (in == null) {
                fail("no golden file cli/" + name + "; run once with -Dsluice.golden.update=true and review it. Output:\n" + actual);
            }
            assertThat(actual).as("output against golden file cli/" + name)
                    .isEqualTo(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean updating() {
        return Boolean.getBoolean("sluice.golden.update") || "true".equals(System.getenv("SLUICE_GOLDEN_UPDATE"));
    }

    private static Path sourceDir() {
        String root = System.getenv("SLUICE_REPO_ROOT");
        Path base = root == null ? Path.of("").toAbsolutePath() : Path.of(root).resolve("ebpf-tests");
        return base.resolve("src/test/resources/cli");
    }
}
