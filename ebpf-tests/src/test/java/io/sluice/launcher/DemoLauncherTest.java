package io.sluice.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testnet.KernelTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, as a user runs it: {@code bin/sluice demo} through the real launcher balances
 * every connection over the backends and leaves no namespace behind.
 */
@KernelTest
class DemoLauncherTest {
    private static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", "..")).toAbsolutePath().normalize();

    @Test
    void binSluiceDemoReachesEveryBackendAndCleansUp() throws Exception {
        Process demo = new ProcessBuilder(ROOT.resolve("bin/sluice").toString(), "demo", "--connections", "12")
                .redirectErrorStream(true).start();
        String output = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(demo.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(demo.exitValue()).as("exit code; output:%n%s", output).isZero();
        assertThat(output).contains("198.18.100.10:80", "backend-a", "backend-b", "Every connection reached a backend.")
                .doesNotContain("WARN");
        assertThat(namespaces()).as("namespaces left by the demo").doesNotContain("sluice-demo-");
    }

    private static String namespaces() throws IOException, InterruptedException {
        Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor(10, TimeUnit.SECONDS);
        return out;
    }
}
