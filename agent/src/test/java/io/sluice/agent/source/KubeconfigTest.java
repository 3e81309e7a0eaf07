package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.sluice.agent.testsupport.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Kubeconfig}: the client configuration of a kubeconfig file is the one fabric8's own
 * {@code Config.fromKubeconfig} gives, without fabric8's look-up of every model class on the class path.
 */
class KubeconfigTest {
    /** How a cluster's certificate authority or a user's client certificate is given. */
    enum CertificateSource { NONE, RELATIVE_PATH, ABSOLUTE_PATH, INLINE_DATA }

    /** How the user authenticates. */
    enum Credentials { TOKEN, BASIC, CLIENT_CERTIFICATE, NONE }

    @Property(tries = 60)
    void theConfigIsTheOneFabric8sOwnParseGives(@ForAll CertificateSource authority, @ForAll CertificateSource clientCertificate,
                                                @ForAll Credentials credentials, @ForAll boolean namespace,
                                                @ForAll boolean insecure, @ForAll @IntRange(min = 0, max = 1) int current)
            throws IOException {
        Path dir = Files.createTempDirectory("sluice-kubeconfig");
        try {
            Path file = dir.resolve("config");
            Files.writeString(file, kubeconfig(dir, authority, clientCertificate, credentials, namespace, insecure, current));

            Config ours = Kubeconfig.read(file, KubernetesSource.serialization());
            Config fabric8s = Config.fromKubeconfig(null, Files.readString(file), file.toString());

            assertThat(ours).usingRecursiveComparison().isEqualTo(fabric8s);
            assertThat(ours.getMasterUrl()).isEqualTo("https://10.0.0." + (current + 1) + ":6443/");
            if (authority == CertificateSource.RELATIVE_PATH && current == 0) {
                assertThat(ours.getCaCertFile()).as("resolved against the kubeconfig's folder")
                        .isEqualTo(dir.resolve("ca.crt").toString());
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Two contexts on two clusters, {@code current} the current one; the second cluster is plain. */
    private static String kubeconfig(Path dir, CertificateSource authority, CertificateSource clientCertificate,
                                     Credentials credentials, boolean namespace, boolean insecure, int current) {
        StringBuilder y = new StringBuilder("apiVersion: v1\nkind: Config\nclusters:\n- name: one\n  cluster:\n"
                + "    server: https://10.0.0.1:6443\n");
        y.append(certificate("certificate-authority", authority, dir, "ca.crt"));
        if (insecure) {
            y.append("    insecure-skip-tls-verify: true\n");
        }
        y.append("- name: two\n  cluster:\n    server: https://10.0.0.2:6443\n");
        y.append("contexts:\n- name: first\n  context:\n    cluster: one\n    user: agent\n");
        if (namespace) {
            y.append("    namespace: kube-system\n");
        }
        y.append("- name: second\n  context:\n    cluster: two\n    user: agent\n");
        y.append("current-context: ").append(current == 0 ? "first" : "second").append('\n');
        y.append("users:\n- name: agent\n  user:\n");
        switch (credentials) {
            case TOKEN -> y.append("    token: a-token\n");
            case BASIC -> y.append("    username: admin\n    password: secret\n");
            case CLIENT_CERTIFICATE -> y.append(certificate("client-certificate", clientCertificate, dir, "client.crt"))
                    .append(certificate("client-key", clientCertificate, dir, "client.key"));
            case NONE -> { }
        }
        if (credentials == Credentials.NONE || (credentials == Credentials.CLIENT_CERTIFICATE && clientCertificate == CertificateSource.NONE)) {
            y.append("    as: nobody\n"); // a user entry with no field at all is no mapping
        }
        return y.toString();
    }

    private static String certificate(String field, CertificateSource source, Path dir, String name) {
        return switch (source) {
            case NONE -> "";
            case RELATIVE_PATH -> "    " + field + ": " + name + "\n";
            case ABSOLUTE_PATH -> "    " + field + ": " + dir.resolve(name) + "\n";
            case INLINE_DATA -> "    " + field + "-data: " + java.util.Base64.getEncoder()
                    .encodeToString(("-----BEGIN CERTIFICATE-----\n" + name + "\n").getBytes(StandardCharsets.UTF_8)) + "\n";
        };
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("absent");
        assertThatThrownBy(() -> Kubeconfig.read(missing, KubernetesSource.serialization()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("kubeconfig " + missing + ": cannot be read");
    }

    @Test
    void anEmptyFileIsNamed(@TempDir Path dir) throws IOException {
        Path empty = Files.writeString(dir.resolve("config"), "");
        assertThatThrownBy(() -> Kubeconfig.read(empty, KubernetesSource.serialization()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("kubeconfig " + empty + ":");
    }

    @Test
    void aFileThatIsNoKubeconfigIsNamed(@TempDir Path dir) throws IOException {
        Path list = Files.writeString(dir.resolve("config"), "- just\n- a list\n");
        assertThatThrownBy(() -> Kubeconfig.read(list, KubernetesSource.serialization()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("kubeconfig " + list + ":");
    }

    /**
     * In a fresh JVM, reading a kubeconfig and building the agent's client loads no model class of an API group that
     * neither the agent watches nor the client itself names (its DSL names a few of batch, apps, certificates), where
     * fabric8's own parse loads those of every group.
     */
    @Test
    void readingAKubeconfigLoadsNoModelClassOfAnUnwatchedApiGroup(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("config"), kubeconfig(dir, CertificateSource.NONE, CertificateSource.NONE,
                Credentials.TOKEN, true, false, 0));
        assertThat(classesLoadedBy("agent", file, dir)).noneMatch(KubeconfigTest::ofAnUnwatchedApiGroup);
        assertThat(classesLoadedBy("fabric8", file, dir)).as("the comparison: fabric8's own parse")
                .anyMatch(KubeconfigTest::ofAnUnwatchedApiGroup);
    }

    private static boolean ofAnUnwatchedApiGroup(String className) {
        return Stream.of("admissionregistration", "flowcontrol", "gatewayapi", "rbac", "resource", "storage")
                .anyMatch(group -> className.startsWith("io.fabric8.kubernetes.api.model." + group + "."));
    }

    /** The names of the classes a child JVM loaded while it ran {@link ReadKubeconfig} in {@code mode}. */
    private static List<String> classesLoadedBy(String mode, Path file, Path dir) throws Exception {
        Path log = dir.resolve(mode + "-classes.log");
        List<String> command = ChildJvm.command(List.of("-Xlog:class+load=info:file=" + log), ReadKubeconfig.class,
                mode, file.toString());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(mode + ".out").toFile()).start();
        try {
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(child.exitValue()).as("child JVM's output: %s", Files.readString(dir.resolve(mode + ".out"))).isZero();
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            int end = line.indexOf(" source:");
            int start = line.lastIndexOf(' ', end - 1);
            if (end > 0 && start >= 0) {
                names.add(line.substring(start + 1, end));
            }
        }
        assertThat(names).as("class loading was logged").contains(ReadKubeconfig.class.getName());
        return names;
    }

    /** Run in a child JVM: reads a kubeconfig the agent's way ("agent") or fabric8's ("fabric8"), builds a client. */
    public static final class ReadKubeconfig {
        public static void main(String[] args) throws IOException {
            Path file = Path.of(args[1]);
            var serialization = KubernetesSource.serialization();
            Config config = args[0].equals("agent") ? Kubeconfig.read(file, serialization)
                    : Config.fromKubeconfig(null, Files.readString(file), file.toString());
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config)
                    .withKubernetesSerialization(serialization).build()) {
                System.out.println("client for " + client.getMasterUrl());
            }
        }
    }
}
