package io.sluice.testnet;

import io.sluice.loader.KernelMounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Removes what crashed earlier runs of the harness left behind: network namespaces, cgroups and bpffs folders whose
 * name (see {@link Topology}) carries the PID of a process that no longer exists, or this JVM's PID without having
 * been made by this JVM (PID reuse). Objects of live JVMs, and anything not named by the harness, are left alone.
 * Processes still running inside a leftover namespace or cgroup were started by that dead run's harness; they are
 * killed by PID so the objects can go.
 */
public final class Sweeper {
    private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    /** What one sweep removed, and what it could not remove. */
    public record Report(List<String> removed, List<String> failures) {
        public Report {
            removed = List.copyOf(removed);
            failures = List.copyOf(failures);
        }
    }

    private Sweeper() {
    }

    /** Sweeps once per JVM (the first {@link Topology} and {@link KernelTest} call this); later calls do nothing. */
    public static void sweepOnce() {
        if (SWEPT.compareAndSet(false, true)) {
            Report report = sweep();
            if (!report.removed().isEmpty()) {
                LOG.info("removed leftovers of dead test runs: {}", report.removed());
            }
            if (!report.failures().isEmpty()) {
                LOG.warn("could not remove leftovers of dead test runs: {}", report.failures());
            }
        }
    }

    /** Sweeps now. */
    public static Report sweep() {
        List<String> removed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        sweepNamespaces(removed, failures);
        KernelMounts.cgroup2().ifPresent(mount -> sweepCgroups(mount.resolve(TestNames.CGROUP_PARENT), removed, failures));
        KernelMounts.bpffs().ifPresent(mount -> sweepBpfDirs(mount, removed, failures));
        return new Report(removed, failures);
    }

    /**
     * Whether a harness-made object is a leftover: its owner PID is dead, or it is this JVM's PID but the name was not
     * handed out by this JVM (an earlier process had the same PID).
     */
    static boolean ownerIsDead(Pattern pattern, String name) {
        OptionalLong pid = TestNames.ownerPid(pattern, name);
        if (pid.isEmpty()) {
            return false;
        }
        if (pid.getAsLong() == TestNames.PID) {
            return !TestNames.issuedHere(name);
        }
        return ProcessHandle.of(pid.getAsLong()).map(h -> !h.isAlive()).orElse(true);
    }

    private static void sweepNamespaces(List<String> removed, List<String> failures) {
        ExecResult list;
        try {
            list = Commands.run(List.of("ip", "netns", "list"));
        } catch (CommandFailedException noIp) {
            failures.add("cannot list namespaces: " + noIp.getMessage());
            return;
        }
        if (!list.succeeded()) {
            failures.add("ip netns list failed: " + list.stderr().strip());
            return;
        }
        for (String line : list.stdout().lines().toList()) {
            String name = line.strip().split("\\s+")[0];
            if (name.isEmpty() || !ownerIsDead(TestNames.NETNS, name)) {
                continue;
            }
            Topology.namespacePids(name).forEach(pid -> kill(Long.parseLong(pid)));
            ExecResult deleted = Commands.run(List.of("ip", "netns", "del", name));
            if (deleted.succeeded()) {
                removed.add("namespace " + name);
            } else {
                failures.add("namespace " + name + ": " + deleted.stderr().strip());
            }
        }
    }

    private static void sweepCgroups(Path parent, List<String> removed, List<String> failures) {
        if (!Files.isDirectory(parent)) {
            return;
        }
        for (Path dir : children(parent, failures)) {
            if (!Files.isDirectory(dir) || !ownerIsDead(TestNames.CGROUP, dir.getFileName().toString())) {
                continue;
            }
            try {
                // Nested cgroups a test made below its own go first: deepest first.
                List<Path> tree;
                try (Stream<Path> walk = Files.walk(dir)) {
                    tree = walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
                }
                for (Path cg : tree) {
                    Cgroup.readPids(cg).forEach(Sweeper::kill);
                    Topology.removeCgroupDir(cg);
                }
                removed.add("cgroup " + dir);
            } catch (IOException | RuntimeException e) {
                failures.add("cgroup " + dir + ": " + e.getMessage());
            }
        }
    }

    private static void sweepBpfDirs(Path mount, List<String> removed, List<String> failures) {
        for (Path dir : children(mount, failures)) {
            if (!Files.isDirectory(dir) || !ownerIsDead(TestNames.BPF_DIR, dir.getFileName().toString())) {
                continue;
            }
            try {
                Topology.deleteTree(dir);
                removed.add("bpffs folder " + dir);
            } catch (IOException e) {
                failures.add("bpffs folder " + dir + ": " + e.getMessage());
            }
        }
    }

    private static List<Path> children(Path dir, List<String> failures) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        } catch (IOException e) {
            failures.add("cannot list " + dir + ": " + e.getMessage());
            return List.of();
        }
    }

    private static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(process -> {
            process.destroyForcibly();
            Commands.awaitExit(List.of(process), java.time.Duration.ofSeconds(2));
        });
    }
}
