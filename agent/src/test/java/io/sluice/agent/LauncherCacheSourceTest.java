package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice} picks the shipped AOT cache of the source the agent's arguments name ({@code agent_source}): the
 * manifest cache for a manifest folder, from a flag or from the configuration file, the API cache otherwise (the
 * DaemonSet's in-cluster file, a kubeconfig).
 */
class LauncherCacheSourceTest {
    private static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", ".."));

    @TempDir
    Path dir;

    @Test
    void aManifestFolderFromAFlagOrTheConfigurationFileTakesTheManifestCache() throws Exception {
        Path config = Files.writeString(dir.resolve("config.yaml"), "nodeName: n1\nmanifests: /srv/manifests\n");
        assertThat(source("agent", "--manifests", "/srv/manifests")).isEqualTo("manifests");
        assertThat(source("agent", "--node-name", "n1", "--manifests=/srv/manifests")).isEqualTo("manifests");
        assertThat(source("agent", "--config", config.toString())).isEqualTo("manifests");
        assertThat(source("agent", "--config=" + config)).isEqualTo("manifests");
    }

    @Test
    void theApiTakesTheApiCache() throws Exception {
        Path manifestsConfig = Files.writeString(dir.resolve("manifests.yaml"), "manifests: /srv/manifests\n");
        assertThat(source("agent", "--config", ROOT.resolve("deploy/kubernetes/configmap.yaml").toString()))
                .as("the DaemonSet's configuration (inCluster)").isEqualTo("api");
        assertThat(source("agent", "--kubeconfig", "/etc/kubeconfig")).isEqualTo("api");
        assertThat(source("agent", "--in-cluster")).isEqualTo("api");
        assertThat(source("agent", "--config", manifestsConfig.toString(), "--kubeconfig", "/etc/kubeconfig"))
                .as("a source flag overrides the file, as the agent's own parsing does").isEqualTo("api");
        assertThat(source("agent")).as("no source named: in a pod, the agent is in-cluster").isEqualTo("api");
        assertThat(source("agent", "--config", dir.resolve("missing.yaml").toString())).isEqualTo("api");
    }

    /** What the launcher's {@code agent_source} prints for {@code args}. */
    private static String source(String... args) throws Exception {
        String launcher = Files.readString(ROOT.resolve("bin/sluice"));
        int start = launcher.indexOf("\nagent_source() {");
        assertThat(start).as("bin/sluice defines agent_source").isPositive();
        String function = launcher.substring(start, launcher.indexOf("\n}\n", start) + 3);
        List<String> command = new ArrayList<>(List.of("bash", "-c", function + "agent_source \"$@\"", "agent_source"));
        command.addAll(List.of(args));
        Process bash = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(bash.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }
}
