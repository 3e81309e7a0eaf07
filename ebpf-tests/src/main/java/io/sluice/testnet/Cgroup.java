package io.sluice.testnet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A cgroup v2 directory of a {@link Topology}: {@code <cgroup2 mount>/sluice-test/<pid>-<n>-<logical>}. Programs
 * are attached to it through {@link #path()}; processes join it through {@link Netns#inCgroup(Cgroup)}. Removed
 * when the topology closes, after the processes started in it are killed.
 */
public final class Cgroup {
    private final Topology owner;
    private final Path path;
    private final String logicalName;

    Cgroup(Topology owner, Path path, String logicalName) {
        this.owner = owner;
        this.path = path;
        this.logicalName = logicalName;
    }

    /** The cgroup's directory under the cgroup v2 mount. */
    public Path path() {
        return path;
    }

    public String logicalName() {
        return logicalName;
    }

    Topology owner() {
        return owner;
    }

    /** The PIDs now in the cgroup (its {@code cgroup.procs}). */
    public List<Long> pids() {
        return readPids(path);
    }

    static List<Long> readPids(Path cgroupDir) {
        try {
            return Files.readAllLines(cgroupDir.resolve("cgroup.procs")).stream()
                    .filter(line -> !line.isBlank())
                    .map(line -> Long.parseLong(line.strip()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cgroupDir.resolve("cgroup.procs"), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cgroup other && other.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    @Override
    public String toString() {
        return "Cgroup[" + path + "]";
    }
}
