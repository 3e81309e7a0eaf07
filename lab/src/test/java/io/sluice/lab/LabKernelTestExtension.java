package io.sluice.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The extension behind {@link LabKernelTest}: checks {@link LabRequirements}, then skips or (under CI) fails. */
public final class LabKernelTestExtension implements BeforeAllCallback {
    /** Test labs are named {@code labt<pid>}, so a later run can tell the labs of dead JVMs. */
    static final String TEST_LAB_PREFIX = "labt";
    private static final Pattern TEST_LAB = Pattern.compile(TEST_LAB_PREFIX + "(\\d+)");
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    @Override
    public void beforeAll(ExtensionContext context) {
        List<String> missing = LabRequirements.missing();
        if (!missing.isEmpty()) {
            String message = "lab test cannot run here, missing: " + String.join("; ", missing);
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(message + " (CI=true: lab tests must run in CI; run bin/setup as root)");
            }
            Assumptions.abort(message);
        }
        if (SWEPT.compareAndSet(false, true)) {
            sweepDeadTestLabs();
        }
    }

    /** The name of this JVM's test lab. */
    static String testLabName() {
        return TEST_LAB_PREFIX + ProcessHandle.current().pid();
    }

    private static void sweepDeadTestLabs() {
        try (Stream<Path> runs = Files.list(Path.of("/run"))) {
            for (Path run : runs.toList()) {
                Matcher m = TEST_LAB.matcher(run.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    LabSweeper.sweep(LabLayout.of(run.getFileName().toString()), s -> { });
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("could not sweep the labs of dead test runs: " + e);
        }
    }
}
