package io.sluice.loader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The machine's cgroup v2 and bpffs mount points, read from {@code /proc/mounts} and never assumed: the cgroup v2
 * mount is {@code /sys/fs/cgroup/unified} on hybrid machines and {@code /sys/fs/cgroup} on unified ones. Stateless.
 */
public final class KernelMounts {
    private static final Path PROC_MOUNTS = Path.of("/proc/mounts");

    private KernelMounts() {
    }

    /** The first mount point of type {@code cgroup2}, if any. */
    public static Optional<Path> cgroup2() {
        return firstOfType(readProcMounts(), "cgroup2");
    }

    /** The first mount point of type {@code bpf} (bpffs), if any. */
    public static Optional<Path> bpffs() {
        return firstOfType(readProcMounts(), "bpf");
    }

    /**
     * The mount point of the first line of file system {@code type} among lines in the {@code /proc/mounts} format
     * (device, mount point, type, options, ...), with the mount point's octal escapes undone.
     */
    static Optional<Path> firstOfType(List<String> mountLines, String type) {
        for (String line : mountLines) {
            String[] fields = line.split(" ");
            if (fields.length >= 3 && fields[2].equals(type)) {
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
            if (c == '\\' && i + 3 < field.length() && isOctalEscape(field, i)) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctalEscape(String field, int backslash) {
        return field.substring(backslash + 1, backslash + 4).chars().allMatch(d -> d >= '0' && d <= '7');
    }

    private static List<String> readProcMounts() {
        try {
            return Files.readAllLines(PROC_MOUNTS);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + PROC_MOUNTS, e);
        }
    }
}
