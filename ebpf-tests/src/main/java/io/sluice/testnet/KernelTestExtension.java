package io.sluice.testnet;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/** The extension behind {@link KernelTest}: checks {@link KernelRequirements}, then skips or (under CI) fails. */
public final class KernelTestExtension implements BeforeAllCallback, BeforeEachCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        enforce(KernelRequirements.missing(), isCi());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        enforce(KernelRequirements.missing(), isCi());
    }

    /** Does nothing when nothing is missing; else fails the test under CI and skips it elsewhere. */
    static void enforce(List<String> missing, boolean ci) {
        if (missing.isEmpty()) {
            Sweeper.sweepOnce();
            return;
        }
        String message = "kernel test cannot run here, missing: " + String.join("; ", missing);
        if (ci) {
            Assertions.fail(message + " (CI=true: kernel tests must run in CI, run bin/setup as root)");
        }
        Assumptions.abort(message);
    }

    static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
