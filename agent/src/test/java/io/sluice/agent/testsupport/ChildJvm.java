package io.sluice.agent.testsupport;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM started the way this test JVM was: the same {@code java}, its module and
 * system-property flags ({@code --...}, {@code -D...}, e.g. {@code --enable-native-access}) and its class path.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** {@code java} with this JVM's flags, then {@code jvmOptions}, the class path, {@code main} and {@code args}. */
    public static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--") || a.startsWith("-D")).toList());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return command;
    }
}
