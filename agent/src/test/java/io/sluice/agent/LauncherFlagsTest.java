package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The launcher and the test JVMs run with the same flags, so what passes in tests runs for users. */
class LauncherFlagsTest {
    private static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", ".."));

    @Test
    void binSluiceCarriesExactlyThePomsJvmFlags() throws Exception {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        Matcher m = Pattern.compile("<sluice.jvm.flags>(.*?)</sluice.jvm.flags>", Pattern.DOTALL).matcher(pom);
        assertThat(m.find()).as("pom.xml defines sluice.jvm.flags").isTrue();
        List<String> pomFlags = Arrays.asList(m.group(1).trim().split("\\s+"));

        String launcher = Files.readString(ROOT.resolve("bin/sluice"));
        Matcher block = Pattern.compile("JVM_FLAGS=\\((.*?)\\)", Pattern.DOTALL).matcher(launcher);
        assertThat(block.find()).as("bin/sluice defines JVM_FLAGS").isTrue();
        List<String> launcherFlags = Arrays.asList(block.group(1).trim().split("\\s+"));

        assertThat(launcherFlags).containsExactlyElementsOf(pomFlags);
        assertThat(pomFlags).contains("--enable-native-access=ALL-UNNAMED");
    }
}
