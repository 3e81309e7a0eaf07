package io.sluice.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration: defaults, YAML, overrides, and errors that name the setting. */
class AgentConfigTest {
    private static final Map<String, String> NO_ENV = Map.of();

    @TempDir
    Path dir;

    private AgentConfig manifestsConfig() {
        return new AgentConfig().nodeName("node-1").manifests(dir);
    }

    private Path yaml(String text) throws IOException {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, text);
        return file;
    }

    private static void assertRefused(AgentConfig config, String setting, String messagePart) {
        assertThatThrownBy(() -> config.conclude(NO_ENV))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo(setting);
                    assertThat(e.getMessage()).startsWith(setting + ": ").contains(messagePart);
                });
    }

    @Test
    void defaultsAreFilledByConclude() throws Exception {
        AgentConfig config = manifestsConfig().conclude(NO_ENV);

        assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/sluice"));
        assertThat(config.bpffsPinDir()).isEqualTo(Path.of("/sys/fs/bpf/sluice"));
        assertThat(config.metricsBindAddress()).isEqualTo(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9964));
        assertThat(config.maglevTableSize()).isEqualTo(16381);
        assertThat(config.nodePortAddresses()).isEmpty();
        assertThat(config.sourceMode()).isEqualTo(AgentConfig.SourceMode.MANIFESTS);
        assertThat(config.informerStartTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aYamlFileSetsEverySetting() throws Exception {
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), "apiVersion: v1\n");
        AgentConfig config = AgentConfig.fromYaml(yaml("""
                nodeName: worker-2.example
                stateDir: /srv/sluice
                bpffsPinDir: /sys/fs/bpf/sluice-test
                metricsAddress: "[::1]:19964"
                kubeconfig: %s
                nodePortAddresses: [10.0.0.0/8, "fd00::/64"]
                maglevTableSize: 1021
                informerStartTimeout: 5s
                manifestPollInterval: 500ms
                eventQueueCapacity: 4096
                """.formatted(kubeconfig))).conclude(NO_ENV);

        assertThat(config.nodeName()).isEqualTo("worker-2.example");
        assertThat(config.stateDir()).isEqualTo(Path.of("/srv/sluice"));
        assertThat(config.bpffsPinDir()).isEqualTo(Path.of("/sys/fs/bpf/sluice-test"));
        assertThat(config.metricsBindAddress()).isEqualTo(new InetSocketAddress(InetAddress.getByName("::1"), 19964));
        assertThat(config.sourceMode()).isEqualTo(AgentConfig.SourceMode.KUBECONFIG);
        assertThat(config.kubeconfig()).isEqualTo(kubeconfig);
        assertThat(config.nodePortAddresses()).extracting(Cidr::toString).containsExactly("10.0.0.0/8", "fd00:0:0:0:0:0:0:0/64");
        assertThat(config.maglevTableSize()).isEqualTo(1021);
        assertThat(config.informerStartTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.manifestPollInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.eventQueueCapacity()).isEqualTo(4096);
    }

    @Test
    void settersAfterTheFileOverrideIt() throws Exception {
        AgentConfig config = AgentConfig.fromYaml(yaml("nodeName: from-file\nmaglevTableSize: 1021\n"))
                .nodeName("from-flag").manifests(dir).conclude(NO_ENV);
        assertThat(config.nodeName()).isEqualTo("from-flag");
        assertThat(config.maglevTableSize()).isEqualTo(1021);
    }

    @Test
    void anUnknownKeyIsRefusedByName() throws Exception {
        Path file = yaml("nodeName: a\nmaglevTablesize: 1021\n");
        assertThatThrownBy(() -> AgentConfig.fromYaml(file))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo("maglevTablesize");
                    assertThat(e.getMessage()).contains("unknown setting").contains(file.toString())
                            .contains("maglevTableSize");
                });
    }

    @Test
    void aYamlSyntaxErrorNamesTheFileAndLine() throws Exception {
        Path file = yaml("nodeName: a\nnodePortAddresses: [10.0.0.0/8\nmaglevTableSize: 1021\n");
        assertThatThrownBy(() -> AgentConfig.fromYaml(file))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(file + ":")
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void aValueOfTheWrongTypeNamesTheSetting() throws Exception {
        Path file = yaml("maglevTableSize: lots\n");
        assertThatThrownBy(() -> AgentConfig.fromYaml(file))
                .isInstanceOfSatisfying(ConfigurationException.class,
                        e -> assertThat(e.setting()).isEqualTo("maglevTableSize"));
    }

    @Test
    void invalidValuesAreRefusedNamingTheSetting() {
        assertRefused(manifestsConfig().maglevTableSize(16384), "maglevTableSize", "not a prime");
        assertRefused(manifestsConfig().maglevTableSize(7), "maglevTableSize", "between 251 and 131071");
        // A prime, but larger than the largest table the data path is built for (LB_MAGLEV_TABLE_SIZE_MAX).
        assertRefused(manifestsConfig().maglevTableSize(131101), "maglevTableSize", "between 251 and 131071");
        assertRefused(manifestsConfig().nodePortAddresses(List.of("10.0.0.0/8", "10.0.0.1/8")),
                "nodePortAddresses[1]", "host bits");
        assertRefused(manifestsConfig().nodePortAddresses(List.of("node.example/24")), "nodePortAddresses[0]",
                "does not start with an IPv4 or IPv6 address");
        assertRefused(manifestsConfig().nodePortAddresses(List.of("10.0.0.0/33")), "nodePortAddresses[0]", "0..32");
        assertRefused(manifestsConfig().metricsAddress("localhost:9964"), "metricsAddress", "not an IP address");
        assertRefused(manifestsConfig().metricsAddress("127.0.0.1:70000"), "metricsAddress", "outside 0..65535");
        assertRefused(manifestsConfig().metricsAddress("::1:9964"), "metricsAddress", "brackets");
        assertRefused(manifestsConfig().stateDir(Path.of("relative/state")), "stateDir", "not an absolute path");
        assertRefused(manifestsConfig().nodeName("Node_1"), "nodeName", "not a Kubernetes node name");
        assertRefused(manifestsConfig().informerStartTimeout(Duration.ZERO), "informerStartTimeout", "positive");
        assertRefused(manifestsConfig().eventQueueCapacity(16), "eventQueueCapacity", "outside");
    }

    @Test
    void exactlyOneSourceOfObjects() throws Exception {
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), "apiVersion: v1\n");
        assertRefused(manifestsConfig().kubeconfig(kubeconfig), "manifests", "exactly one source");
        assertRefused(new AgentConfig().nodeName("n").kubeconfig(kubeconfig).inCluster(true), "kubeconfig", "inCluster");
        assertRefused(new AgentConfig().nodeName("n"), "kubeconfig", "no source of objects");
        assertRefused(new AgentConfig().nodeName("n").inCluster(true), "inCluster", "KUBERNETES_SERVICE_HOST");
        assertRefused(new AgentConfig().nodeName("n").kubeconfig(dir.resolve("missing")), "kubeconfig", "not a readable file");
        assertRefused(new AgentConfig().nodeName("n").manifests(kubeconfig), "manifests", "not a directory");

        AgentConfig inPod = new AgentConfig().conclude(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "NODE_NAME", "worker-7"));
        assertThat(inPod.sourceMode()).isEqualTo(AgentConfig.SourceMode.IN_CLUSTER);
        assertThat(inPod.nodeName()).as("from the downward API's NODE_NAME").isEqualTo("worker-7");
    }

    @Test
    void concludedConfigIsReadOnlyAndUnconcludedConfigIsNotReadable() {
        AgentConfig open = manifestsConfig();
        assertThatThrownBy(open::stateDir).isInstanceOf(IllegalStateException.class).hasMessageContaining("conclude()");
        open.conclude(NO_ENV);
        assertThatThrownBy(() -> open.nodeName("other")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("read-only");
    }

    @Test
    void durationsReadAsWritten() {
        assertThat(AgentConfig.duration("x", "250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(AgentConfig.duration("x", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(AgentConfig.duration("x", "1h")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> AgentConfig.duration("informerStartTimeout", "30"))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("informerStartTimeout: ");
    }

    @Test
    void lruMapSizesAreThisNodesDefaultsWithTheConfiguredOnesInTheirPlace() throws Exception {
        assertThat(manifestsConfig().conclude(NO_ENV).lruMapSizes()).isEqualTo(LruMapSizes.forThisNode());

        AgentConfig config = AgentConfig.fromYaml(yaml("""
                nodeName: node-1
                manifests: %s
                lruMapEntries:
                  ct4_entries: 524288
                  lb4_affinity: 16384
                """.formatted(dir))).lruMapEntries(Map.of("lb4_affinity", 32768)).conclude(NO_ENV);

        assertThat(config.lruMapSizes().entries())
                .containsEntry("ct4_entries", 524288)
                .as("a later setting replaces that map's size only").containsEntry("lb4_affinity", 32768)
                .containsEntry("policy4_ct", LruMapSizes.forThisNode().entries().get("policy4_ct"));
    }

    @Test
    void badLruMapSizesAreRefusedNamingTheSettingAndTheValue() throws Exception {
        assertRefused(manifestsConfig().lruMapEntries(Map.of("ct4_entries", 100)), "lruMapEntries.ct4_entries",
                "100 entries is outside 1024..16777216");
        assertRefused(manifestsConfig().lruMapEntries(Map.of("ct_entries", 4096)), "lruMapEntries",
                "\"ct_entries\" is not one of the LRU maps");
        assertThatThrownBy(() -> AgentConfig.fromYaml(yaml("lruMapEntries: {ct4_entries: lots}\n")))
                .isInstanceOfSatisfying(ConfigurationException.class,
                        e -> assertThat(e.getMessage()).startsWith("lruMapEntries.ct4_entries: must be an integer, got"));
        assertThatThrownBy(() -> AgentConfig.fromYaml(yaml("lruMapEntries: 262144\n")))
                .isInstanceOfSatisfying(ConfigurationException.class,
                        e -> assertThat(e.getMessage()).startsWith("lruMapEntries: must be a mapping"));
    }
}
