package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The cgroup v2 hierarchy: where it is mounted, and which programs are attached to a cgroup. Stateless. */
public final class Cgroups {
    private static final Path PROC_SELF_CGROUP = Path.of("/proc/self/cgroup");
    private static final int MAX_PROGRAMS = 64;

    private Cgroups() {
    }

    /**
     * The mount point of the cgroup v2 file system (the first {@code cgroup2} entry of {@code /proc/mounts}).
     *
     * @throws IllegalStateException if none is mounted
     */
    public static Path v2Mount() {
        return KernelMounts.cgroup2().orElseThrow(() -> new IllegalStateException(
                "no cgroup2 file system in /proc/mounts: cgroup v2 is required for socket-level load balancing"));
    }

    /** The cgroup v2 directory this process runs in (from {@code /proc/self/cgroup}), if cgroup v2 is mounted. */
    public static Optional<Path> ownCgroup() {
        return KernelMounts.cgroup2().flatMap(mount -> {
            try {
                return ownCgroup(mount, Files.readAllLines(PROC_SELF_CGROUP));
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + PROC_SELF_CGROUP, e);
            }
        });
    }

    /** The directory under {@code mount} named by the cgroup v2 line ({@code 0::/path}) of {@code /proc/self/cgroup}. */
    static Optional<Path> ownCgroup(Path mount, List<String> selfCgroupLines) {
        return selfCgroupLines.stream()
                .filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3))
                .findFirst()
                .map(relative -> mount.resolve(relative.replaceFirst("^/+", "")));
    }

    /** The ids of the programs attached to {@code cgroupDir} at {@code hook}, by link or otherwise (bpf_prog_query). */
    public static List<Integer> attachedProgramIds(Path cgroupDir, CgroupHook hook) {
        int cgroupFd = LibC.open(cgroupDir.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY, "cgroup");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(JAVA_INT, MAX_PROGRAMS);
            MemorySegment count = arena.allocate(JAVA_INT);
            count.set(JAVA_INT, 0, MAX_PROGRAMS);
            int rc = (int) LibBpf.bpf_prog_query.HANDLE.invokeExact(cgroupFd, hook.attachType(), 0, MemorySegment.NULL, ids, count);
            if (rc < 0) {
                throw new BpfException("bpf_prog_query", "cgroup " + cgroupDir + " (" + hook.section() + ")", rc);
            }
            List<Integer> result = new ArrayList<>();
            for (int i = 0; i < count.get(JAVA_INT, 0); i++) {
                result.add(ids.getAtIndex(JAVA_INT, i));
            }
            return List.copyOf(result);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            LibC.close(cgroupFd, "cgroup " + cgroupDir);
        }
    }
}
