import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Rewrites, in place, the class files of a jar older than Java 6 (version 50) as version 52 with stack maps, code
 * and everything else unchanged: {@code java agent/src/build/StackMapUpgrade.java JAR}. The agent's build runs it on
 * picocli's jar in {@code target/lib} (picocli is compiled for Java 5): JDK 25's AOT cache leaves out every class
 * older than version 50 that ran during the training (the old verifier records nothing the cache could check
 * again), so the command line's ~170 picocli classes (and SluiceCli, left out with them) were loaded from the jar
 * and verified at every start: ~80 ms of CPU on the main thread before the agent starts anything. Version 52 needs the stack maps the new verifier checks: the
 * JDK's class-file API generates them, resolving picocli's own classes from the jar. A jar with nothing older than
 * version 50 is left as it is, so a second run changes nothing.
 */
public final class StackMapUpgrade {
    private static final int JAVA_6 = 50;
    private static final int JAVA_8 = 52;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: java StackMapUpgrade.java JAR");
        }
        Path jar = Path.of(args[0]);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Manifest manifest;
        try (JarFile file = new JarFile(jar.toFile())) {
            manifest = file.getManifest();
            for (JarEntry entry : Collections.list(file.entries())) {
                if (!entry.isDirectory() && !entry.getName().equals(JarFile.MANIFEST_NAME)) {
                    entries.put(entry.getName(), file.getInputStream(entry).readAllBytes());
                }
            }
        }
        ClassHierarchyResolver ownClasses = ClassHierarchyResolver.ofResourceParsing(type -> {
            String descriptor = type.descriptorString();
            byte[] bytes = entries.get(descriptor.substring(1, descriptor.length() - 1) + ".class");
            return bytes == null ? null : new ByteArrayInputStream(bytes);
        });
        ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                ClassFile.ClassHierarchyResolverOption.of(ownClasses.orElse(ClassHierarchyResolver.defaultResolver())));
        // Rebuilding every method body is what makes the API generate its stack map.
        ClassTransform upgrade = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                .andThen(ClassTransform.endHandler(builder -> builder.withVersion(JAVA_8, 0)));
        int upgraded = 0;
        for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
            if (entry.getKey().endsWith(".class") && !entry.getKey().endsWith("module-info.class")) {
                ClassModel model = classFile.parse(entry.getValue());
                if (model.majorVersion() < JAVA_6) {
                    entry.setValue(classFile.transformClass(model, upgrade));
                    upgraded++;
                }
            }
        }
        if (upgraded == 0) {
            System.out.println("StackMapUpgrade: " + jar.getFileName() + ": no class older than version " + JAVA_6);
            return;
        }
        Path upgradedJar = jar.resolveSibling(jar.getFileName() + ".upgrading");
        try (OutputStream out = Files.newOutputStream(upgradedJar);
             JarOutputStream jarOut = manifest != null ? new JarOutputStream(out, manifest) : new JarOutputStream(out)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                jarOut.putNextEntry(new JarEntry(entry.getKey()));
                jarOut.write(entry.getValue());
                jarOut.closeEntry();
            }
        }
        Files.move(upgradedJar, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("StackMapUpgrade: " + jar.getFileName() + ": " + upgraded + " classes to version " + JAVA_8);
    }
}
