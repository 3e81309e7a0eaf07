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
    private static final Path PROC_MOUNTS = Path.of("/proc/mounts");
    private static final int MAX_PROGRAMS = 64;

    private Cgroups() {
    }

    /**
     * The mount point of the cgroup v2 file system (the first {@code cgroup2} entry of {@code /proc/mounts}).
     *
     * @throws IllegalStateException if none is mounted
     */
    public static Path v2Mount() {
        try {
            return v2Mount(Files.readAllLines(PROC_MOUNTS)).orElseThrow(() -> new IllegalStateException(
                    "no cgroup2 file system in " + PROC_MOUNTS + ": cgroup v2 is required for socket-level load balancing"));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + PROC_MOUNTS, e);
        }
    }

    /** The first cgroup2 mount point among lines in {@code /proc/mounts} format. */
    static Optional<Path> v2Mount(List<String> mountLines) {
        for (String line : mountLines) {
            String[] fields = line.split(" ");
            if (fields.length >= 3 && fields[2].equals("cgroup2")) {
                return Optional.of(Path.of(unescape(fields[1])));
            }
        }
        return Optional.empty();
    }

    /** /proc/mounts writes space, tab, newline and backslash in paths as octal escapes ({@code \040}). */
    private static String unescape(String field) {
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The ids of the programs attached to {@code cgroupDir} at {@code hook}, by link or otherwise (bpf_prog_query). */
    public static List<Integer> attachedProgramIds(Path cgroupDir, CgroupHook hook) {
        int cgroupFd = LibC.open(cgroupDir.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY, "cgroup");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(JAVA_INT, MAX_PROGRAMS);
            MemorySegment count = arena.allocate(JAVA_INT);
            count.set(JAVA_INT, 0, MAX_PROGRAMS);
            int rc = (int) LibBpf.BPF_PROG_QUERY.invokeExact(cgroupFd, hook.attachType(), 0, MemorySegment.NULL, ids, count);
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
