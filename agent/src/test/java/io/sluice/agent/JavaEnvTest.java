package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/java-env}, which every launch sources, picks a JDK 25 by its release file without starting a JVM (that
 * cost each {@code sluice agent} ~0.3 s of CPU before the agent's own JVM existed), and asks the JVM only when a JDK
 * has no release file.
 */
class JavaEnvTest {
    private static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", ".."));

    @TempDir
    Path dir;

    @Test
    void aJdkWhoseReleaseFileSays25IsChosenWithoutRunningItsJava() throws Exception {
        Path jdk = fakeJdk("jdk25", "JAVA_VERSION=\"25.0.1\"\n", "25");
        assertThat(javaHomeChosenWith(jdk)).isEqualTo(jdk.toString());
        assertThat(jdk.resolve("java-ran")).doesNotExist();
    }

    @Test
    void aJdkWhoseReleaseFileSaysAnOlderVersionIsPassedOver() throws Exception {
        Path jdk = fakeJdk("jdk21", "JAVA_VERSION=\"21.0.2\"\n", "25");
        assertThat(javaHomeChosenWith(jdk)).isNotEqualTo(jdk.toString());
        Path legacy = fakeJdk("jdk8", "JAVA_VERSION=\"1.8.0_392\"\n", "25");
        assertThat(javaHomeChosenWith(legacy)).isNotEqualTo(legacy.toString());
    }

    @Test
    void aJdkWithoutAReleaseFileIsAskedForItsVersion() throws Exception {
        Path jdk25 = fakeJdk("bare25", null, "25");
        assertThat(javaHomeChosenWith(jdk25)).isEqualTo(jdk25.toString());
        assertThat(jdk25.resolve("java-ran")).exists();
        Path jdk17 = fakeJdk("bare17", null, "17");
        assertThat(javaHomeChosenWith(jdk17)).isNotEqualTo(jdk17.toString());
    }

    /** A JDK folder whose {@code bin/java} records that it ran and reports {@code specVersion}. */
    private Path fakeJdk(String name, String release, String specVersion) throws IOException {
        Path jdk = dir.resolve(name);
        Path java = Files.createDirectories(jdk.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\ntouch '" + jdk.resolve("java-ran") + "'\n"
                + "echo '    java.specification.version = " + specVersion + "' >&2\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (release != null) {
            Files.writeString(jdk.resolve("release"), release);
        }
        return jdk;
    }

    /** JAVA_HOME as bin/java-env sets it when SLUICE_JAVA_HOME names {@code jdk} (the first candidate). */
    private static String javaHomeChosenWith(Path jdk) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", ". \"$1\" && printf %s \"$JAVA_HOME\"", "java-env",
                ROOT.resolve("bin/java-env").toString()).redirectErrorStream(true);
        builder.environment().put("SLUICE_JAVA_HOME", jdk.toString());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(out).isZero();
        return out;
    }
}
