package io.sluice.agent.cli;

import io.sluice.loader.BpfException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that reads the agent's pinned maps: {@code --pin-dir} names the agent's bpffs folder, {@code -o} the
 * output format. The maps are read directly, so it works while the agent is down. Failures the operator can act
 * on are printed as one line on standard error with exit status 1.
 */
public abstract class MapCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    @Option(names = "--pin-dir", paramLabel = "DIR", defaultValue = PinnedMaps.DEFAULT_PIN_DIR,
            description = "The agent's bpffs folder, its --bpffs-dir (default: ${DEFAULT-VALUE}).")
    protected Path pinDir;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            converter = OutputFormat.Converter.class, description = "table (default) or json.")
    protected OutputFormat output;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (PinnedMaps maps = new PinnedMaps(pinDir)) {
            out.print(run(maps, output));
            out.flush();
            return 0;
        } catch (CliException | BpfException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    /** The command's whole output in {@code format}. */
    protected abstract String run(PinnedMaps maps, OutputFormat format);
}
