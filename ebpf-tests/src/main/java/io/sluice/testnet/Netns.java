package io.sluice.testnet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A network namespace of a {@link Topology}, named {@code slc<pid>x<n>-<logical>} and bound at
 * {@code /run/netns/<name>}. Commands run in it through {@code ip netns exec}; a view made by
 * {@link #inCgroup(Cgroup)} also puts every process it starts into a cgroup before the command runs.
 *
 * <p>Don't run a JVM through {@link #exec}/{@link #spawn}: {@code ip netns exec} remounts /sys, hiding bpffs
 * and the cgroup v2 mount. A JVM enters the namespace with {@code nsenter --net=}{@link #path()} instead.
 */
public final class Netns {
    /** Joins the cgroup whose cgroup.procs is $1, then execs the rest: no input is ever spliced into the script. */
    private static final String JOIN_CGROUP = "echo $$ > \"$1\" && shift && exec \"$@\"";

    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final Topology owner;
    private final String name;
    private final String logicalName;
    private final Cgroup cgroup;

    Netns(Topology owner, String name, String logicalName, Cgroup cgroup) {
        this.owner = owner;
        this.name = name;
        this.logicalName = logicalName;
        this.cgroup = cgroup;
    }

    /** The real namespace name, as {@code ip netns list} shows it. */
    public String name() {
        return name;
    }

    /** The name the test gave it. */
    public String logicalName() {
        return logicalName;
    }

    /** The namespace's bind mount, for {@code nsenter --net=PATH} or opening it for setns. */
    public Path path() {
        return Path.of("/run/netns", name);
    }

    /** The cgroup processes started through this view join, if any. */
    public Optional<Cgroup> cgroup() {
        return Optional.ofNullable(cgroup);
    }

    /** A view of this namespace whose processes first join {@code cg} (a cgroup of the same topology). */
    public Netns inCgroup(Cgroup cg) {
        Objects.requireNonNull(cg, "cgroup");
        owner.requireOwned(cg);
        return new Netns(owner, name, logicalName, cg);
    }

    /** This namespace without a cgroup. */
    public Netns withoutCgroup() {
        return cgroup == null ? this : new Netns(owner, name, logicalName, null);
    }

    Topology owner() {
        return owner;
    }

    /** Runs a command in the namespace and waits for it, at most 10 s. */
    public ExecResult exec(String... command) {
        return exec(Commands.DEFAULT_TIMEOUT, command);
    }

    /** Runs a command in the namespace and waits for it; killed (with its descendants) after {@code timeout}. */
    public ExecResult exec(Duration timeout, String... command) {
        owner.requireOpen();
        return Commands.run(wrap(List.of(command)), Map.of(), timeout);
    }

    /** Starts a long-running command in the namespace; the topology kills it on close if the test did not. */
    public Proc spawn(String... command) {
        return spawn(Map.of(), command);
    }

    /**
     * Like {@link #spawn(String...)} with extra environment variables (the way to hand data to a fixed script).
     * In a cgroup view, returns once the process has joined the cgroup.
     */
    public Proc spawn(Map<String, String> env, String... command) {
        owner.requireOpen();
        Proc proc = owner.adopt(Proc.start(wrap(List.of(command)), env));
        if (cgroup != null) {
            awaitJoined(proc);
        }
        return proc;
    }

    private void awaitJoined(Proc proc) {
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        while (!cgroup.pids().contains(proc.pid())) {
            if (!proc.isAlive()) {
                // It may have joined and already finished: nothing to wait for then.
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("process " + proc.pid() + " did not join " + cgroup.path()
                        + " within " + JOIN_TIMEOUT + ": " + proc.stderr().strip());
            }
            Commands.sleep(Duration.ofMillis(5));
        }
    }

    /** The interface index of {@code ifname} inside this namespace. */
    public int ifindex(String ifname) {
        String line = Commands.run(List.of("ip", "-n", name, "-o", "link", "show", "dev", ifname)).orThrow().stdout();
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new CommandFailedException("unexpected output of ip link for " + ifname + " in " + name + ": " + line);
        }
        return Integer.parseInt(line.substring(0, colon).strip());
    }

    List<String> wrap(List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command for namespace " + name + " is empty");
        }
        String program = Path.of(command.getFirst()).getFileName().toString();
        if (program.equals("java")) {
            throw new IllegalArgumentException("command for namespace " + name + ": a JVM must not run under"
                    + " 'ip netns exec' (it remounts /sys); start it with nsenter --net=" + path());
        }
        List<String> argv = new ArrayList<>();
        if (cgroup != null) {
            argv.addAll(List.of("sh", "-c", JOIN_CGROUP, "sh", cgroup.path().resolve("cgroup.procs").toString()));
        }
        argv.addAll(List.of("ip", "netns", "exec", name));
        argv.addAll(command);
        return argv;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Netns other && other.owner == owner && other.name.equals(name)
                && Objects.equals(other.cgroup, cgroup);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + (cgroup == null ? "" : " in cgroup " + cgroup.path());
    }
}
