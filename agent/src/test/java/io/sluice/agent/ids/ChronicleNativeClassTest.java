package io.sluice.agent.ids;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The agent ships the class Chronicle Map would otherwise compile with javac at run time, the "native" implementation
 * of {@code VanillaGlobalMutableState} (the header of every persisted map). This test regenerates its source with
 * the Chronicle on the class path and compares: a Chronicle upgrade that changes it fails here, with the new text.
 */
class ChronicleNativeClassTest {
    private static final String NAME = "VanillaGlobalMutableState$$Native";
    private static final Path SHIPPED = Path.of("src/main/java/net/openhft/chronicle/hash/" + NAME + ".java");

    @Test
    void theShippedClassIsWhatChronicleGeneratesAndIsTheOneChronicleLoads() throws Exception {
        Class<?> valueModel = Class.forName("net.openhft.chronicle.values.ValueModel");
        Method acquire = valueModel.getDeclaredMethod("acquire", Class.class);
        acquire.setAccessible(true);
        Object model = acquire.invoke(null, Class.forName("net.openhft.chronicle.hash.VanillaGlobalMutableState"));
        Method generate = Class.forName("net.openhft.chronicle.values.Generators")
                .getDeclaredMethod("generateNativeClass", valueModel, String.class);
        generate.setAccessible(true);
        String generated = (String) generate.invoke(null, model, NAME);

        String shipped = Files.readAllLines(SHIPPED).stream().dropWhile(line -> line.startsWith("//"))
                .collect(Collectors.joining("\n", "", "\n"));
        assertThat(shipped).as("%s no longer matches what this Chronicle generates; replace its code (below the "
                + "comment) with:%n%s", SHIPPED, generated).isEqualTo(generated);

        Method nativeClass = valueModel.getDeclaredMethod("nativeClass");
        nativeClass.setAccessible(true);
        Class<?> loaded = (Class<?>) nativeClass.invoke(model);
        assertThat(loaded.getProtectionDomain().getCodeSource().getLocation().getPath())
                .as("Chronicle loads the shipped class rather than compiling one").endsWith("/target/classes/");
    }
}
