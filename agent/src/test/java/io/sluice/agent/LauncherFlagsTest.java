package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The launcher and the test JVMs run with the same flags, so what passes in tests runs for users. The launcher gives
 * the module flags (native access, exports, opens) through the agent jar's manifest instead of its command line, so
 * that the JVM keeps its CDS archive's module graph; the tests, which run classes rather than the jar, give them as
 * flags.
 */
class LauncherFlagsTest {
    private static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", ".."));
    private static final Pattern MODULE_FLAG = Pattern.compile("--(enable-native-access|add-exports|add-opens)=.*");

    @Test
    void binSluiceAndTheAgentJarsManifestCarryExactlyThePomsJvmFlags() throws Exception {
        List<String> pomFlags = words(group(Files.readString(ROOT.resolve("pom.xml")),
                "<sluice.jvm.flags>(.*?)</sluice.jvm.flags>", "pom.xml defines sluice.jvm.flags"));
        List<String> launcherFlags = words(group(Files.readString(ROOT.resolve("bin/sluice")),
                "JVM_FLAGS=\\((.*?)\\)", "bin/sluice defines JVM_FLAGS"));

        assertThat(launcherFlags).containsExactlyElementsOf(
                pomFlags.stream().filter(f -> !MODULE_FLAG.matcher(f).matches()).toList());
        assertThat(manifestAsFlags(Files.readString(ROOT.resolve("agent/pom.xml")))).containsExactlyInAnyOrderElementsOf(
                pomFlags.stream().filter(f -> MODULE_FLAG.matcher(f).matches()).toList());
        assertThat(pomFlags).contains("--enable-native-access=ALL-UNNAMED");
    }

    /** The agent jar's Enable-Native-Access, Add-Exports and Add-Opens entries (agent/pom.xml) as command-line flags. */
    private static List<String> manifestAsFlags(String agentPom) {
        List<String> flags = new ArrayList<>();
        flags.add("--enable-native-access=" + group(agentPom, "<Enable-Native-Access>(.*?)</Enable-Native-Access>",
                "the agent jar's manifest enables native access"));
        for (String exported : words(group(agentPom, "<Add-Exports>(.*?)</Add-Exports>", "the manifest has Add-Exports"))) {
            flags.add("--add-exports=" + exported + "=ALL-UNNAMED");
        }
        for (String opened : words(group(agentPom, "<Add-Opens>(.*?)</Add-Opens>", "the manifest has Add-Opens"))) {
            flags.add("--add-opens=" + opened + "=ALL-UNNAMED");
        }
        return flags;
    }

    private static String group(String text, String regex, String what) {
        Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(text);
        assertThat(m.find()).as(what).isTrue();
        return m.group(1);
    }

    private static List<String> words(String text) {
        return Arrays.asList(text.trim().split("\\s+"));
    }
}
