package io.sluice.lab;

import picocli.CommandLine;

/**
 * Runs {@link LabCommand} on its own: the entry point of the lab's supervisor process (users go through
 * {@code sluice lab}, where the CLI registers {@link LabCommand}).
 */
public final class LabMain {
    private LabMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LabCommand()).execute(args));
    }
}
