package io.sluice.lab;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice lab}: a cluster without a cluster on this host. Simulated nodes are network namespaces on one L2
 * segment, pods are namespaces behind veths on their node, each node runs a Sluice agent confined to it, fed from a
 * manifest directory. Exit codes: 0 success, 1 the lab could not do it (the message says what failed and what to
 * do), 2 bad options or manifests.
 */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = {"A cluster without a cluster on this host: simulated nodes and pods in network namespaces, "
                + "one Sluice agent per node, fed from a directory of manifests."},
        subcommands = {LabCommand.Up.class, LabCommand.Down.class, LabCommand.Status.class, LabCommand.Probe.class,
                LabCommand.Exec.class, LabCommand.Supervise.class})
public final class LabCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code --name}: which lab (several can run side by side). */
    static final class LabName {
        @Spec(Spec.Target.MIXEE)
        CommandSpec command;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = LabLayout.DEFAULT_NAME,
                description = "Which lab (default ${DEFAULT-VALUE}); labs with different names share nothing.")
        String name;

        LabLayout layout() {
            if (!LabPlanner.validLabName(name)) {
                throw new CommandLine.ParameterException(command.commandLine(), "--name " + name
                        + ": use lowercase letters, digits and dashes, starting with a letter, at most 20 characters");
            }
            return LabLayout.of(name);
        }
    }

    /** The running lab's state, or a message that there is none. */
    static Optional<LabState> running(LabLayout layout, PrintWriter err) {
        Optional<LabState> state = new LabStateFile(layout.stateFile()).read();
        if (state.isEmpty()) {
            err.println("no lab named " + layout.name() + " is running (start one with: sluice lab up"
                    + (layout.name().equals(LabLayout.DEFAULT_NAME) ? "" : " --name " + layout.name()) + ")");
            err.flush();
        }
        return state;
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Build the lab (removing an earlier one of the same name), start an agent per node, then "
                    + "show services, live traffic per backend and the policy verdicts; the lab keeps running."})
    static final class Up implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        LabName lab;

        @Option(names = "--manifests", paramLabel = "DIR",
                description = "Kubernetes YAML to run (default: the examples in lab/manifests).")
        Path manifests;

        @Option(names = "--nodes", paramLabel = "N", defaultValue = "3",
                description = "Number of nodes lab-1 ... lab-N (default ${DEFAULT-VALUE}, at most "
                        + AddressPlan.MAX_NODES + ").")
        int nodes;

        @Option(names = "--watch", paramLabel = "SECONDS", defaultValue = "15",
                description = "How long to show live traffic before returning (default ${DEFAULT-VALUE}; 0 for none).")
        int watch;

        @Option(names = "--agent-command", paramLabel = "COMMAND",
                description = "Runs an agent, before the lab's per-node flags; words split on spaces "
                        + "(default: bin/sluice agent).")
        String agentCommand;

        @Option(names = "--agent-timeout", paramLabel = "SECONDS", defaultValue = "90",
                description = "How long to wait for every agent's /readyz (default ${DEFAULT-VALUE}).")
        int agentTimeout;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            if (nodes < 1 || nodes > AddressPlan.MAX_NODES) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--nodes " + nodes + ": a lab has 1 to "
                        + AddressPlan.MAX_NODES + " nodes");
            }
            if (watch < 0 || agentTimeout < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--watch and --agent-timeout are seconds, 0 or more");
            }
            List<String> agent;
            Path dir;
            try {
                agent = agentCommand != null ? Arrays.asList(agentCommand.trim().split("\\s+")) : defaultAgentCommand();
                dir = manifests != null ? manifests : defaultManifests();
            } catch (LabInputException e) {
                err.println("sluice lab up: " + e.getMessage());
                err.flush();
                return 2;
            }
            LabUp.Request request = new LabUp.Request(dir, nodes, Duration.ofSeconds(watch), agent,
                    Duration.ofSeconds(agentTimeout), Duration.ofSeconds(1));
            return new LabUp(lab.layout(), spec.commandLine().getOut(), err, LabView.terminal()).run(request);
        }
    }

    static Path sluiceHome() {
        String home = System.getProperty("sluice.home");
        return home == null ? null : Path.of(home);
    }

    static List<String> defaultAgentCommand() {
        Path home = sluiceHome();
        if (home == null || !Files.isExecutable(home.resolve("bin/sluice"))) {
            throw new LabInputException("cannot find bin/sluice to run the agents: run the lab through bin/sluice, "
                    + "or give --agent-command");
        }
        return List.of(home.resolve("bin/sluice").toString(), "agent");
    }

    static Path defaultManifests() {
        Path home = sluiceHome();
        Path shipped = (home == null ? Path.of("") : home).resolve("lab/manifests").toAbsolutePath();
        if (!Files.isDirectory(shipped)) {
            throw new LabInputException("no --manifests given and no examples at " + shipped);
        }
        return shipped;
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = {"Remove everything the lab created: processes, namespaces, interfaces, cgroups, pins, "
                    + "state and generated files. Safe to run again."})
    static final class Down implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        LabName lab;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            LabLayout layout = lab.layout();
            LabSweeper.Report report;
            try {
                report = LabSweeper.sweep(layout, line -> {
                    out.println(line);
                    out.flush();
                });
            } catch (IllegalStateException e) {
                err.println("sluice lab down: " + e.getMessage());
                err.flush();
                return 1;
            }
            if (!report.failures().isEmpty()) {
                err.println("sluice lab down could not remove:");
                report.failures().forEach(f -> err.println("  " + f));
                err.println("Run sluice lab down again; if that fails too, remove them by hand.");
                err.flush();
                return 1;
            }
            out.println(report.removed().isEmpty() ? "no lab named " + layout.name() + ": nothing to remove"
                    : "removed lab " + layout.name() + " (" + report.removed().size() + " parts)");
            out.flush();
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"The lab's nodes (agent PID, metrics URL) and pods (node, address, network namespace)."})
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        LabName lab;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
                description = "text (default) or json.")
        String output;

        @Override
        public Integer call() {
            checkFormat(spec, output);
            LabLayout layout = lab.layout();
            Optional<LabState> state = running(layout, spec.commandLine().getErr());
            if (state.isEmpty()) {
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print(output.equals("json") ? LabStatusView.json(layout, state.get()) : LabStatusView.text(layout, state.get()));
            out.flush();
            return 0;
        }
    }

    static void checkFormat(CommandSpec spec, String output) {
        if (!output.equals("text") && !output.equals("json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "-o " + output + ": use text or json");
        }
    }

    @Command(name = "probe", mixinStandardHelpOptions = true,
            description = {"Try every pod to every pod on every declared port and protocol with real connections; "
                    + "print the reachability matrix ('.' reached, 'X' blocked). Exits 0 whatever the matrix, "
                    + "1 when probing itself failed."})
    static final class Probe implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        LabName lab;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
                description = "text (default) or json: {\"TCP/80\": {\"x/a\": {\"x/a\": true, ...}, ...}, ...}.")
        String output;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1",
                description = "How long a connection may take before it counts as blocked (default ${DEFAULT-VALUE}).")
        double timeout;

        @Override
        public Integer call() {
            checkFormat(spec, output);
            if (timeout <= 0 || timeout > 60) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--timeout " + timeout + ": 0 to 60 seconds");
            }
            LabLayout layout = lab.layout();
            PrintWriter err = spec.commandLine().getErr();
            Optional<LabState> state = running(layout, err);
            if (state.isEmpty()) {
                return 1;
            }
            LabProber.Result result;
            try {
                result = LabProber.probe(layout, state.get(), Duration.ofMillis((long) (timeout * 1000)));
            } catch (LabOperationException e) {
                err.println("sluice lab probe: " + e.getMessage());
                err.flush();
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print(output.equals("json") ? result.matrix().toJson() + "\n" : result.matrix().toText());
            out.flush();
            result.anomalies().forEach(a -> err.println("warning: " + a));
            err.flush();
            return 0;
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = {"Run a command in a lab pod (its network namespace and its node's cgroup), as kubectl "
                    + "exec would; the exit code is the command's."})
    static final class Exec implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        LabName lab;

        @Parameters(index = "0", paramLabel = "NAMESPACE/POD")
        String pod;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND", description = "After --, the command and its arguments.")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() {
            LabLayout layout = lab.layout();
            PrintWriter err = spec.commandLine().getErr();
            Optional<LabState> state = running(layout, err);
            if (state.isEmpty()) {
                return 1;
            }
            Optional<LabState.PodState> target = state.get().pod(pod);
            if (target.isEmpty()) {
                err.println("sluice lab exec: no pod " + pod + " in lab " + layout.name() + " (pods: "
                        + String.join(", ", state.get().pods().stream().map(p -> p.pod().key()).toList()) + ")");
                err.flush();
                return 1;
            }
            LabPod p = target.get().pod();
            return LabExec.run(PodCommand.inNamespace(p.networkNamespace(), layout.nodeCgroup(p.node()), command),
                    spec.commandLine().getOut(), err, LabView.terminal());
        }
    }

    @Command(name = "supervise", hidden = true,
            description = "The lab's supervisor (started by up): restarts agents and applies manifest changes.")
    static final class Supervise implements Callable<Integer> {
        @Mixin
        LabName lab;

        @Override
        public Integer call() {
            new LabSupervisor(lab.layout(), System.out).run();
            return 0;
        }
    }
}
