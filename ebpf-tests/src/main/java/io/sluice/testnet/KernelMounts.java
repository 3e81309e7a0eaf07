package io.sluice.testnet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds the machine's cgroup v2 and bpffs mounts from {@code /proc/mounts} (never hard-coded: the cgroup v2
 * mount is {@code /sys/fs/cgroup/unified} on hybrid machines and {@code /sys/fs/cgroup} on unified ones).
 */
public final class KernelMounts {
    private static final Path PROC_MOUNTS = Path.of("/proc/mounts");

    private KernelMounts() {
    }

    /** The first mount point of type {@code cgroup2}, if any. */
    public static Optional<Path> cgroup2() {
        return mountOfType("cgroup2");
    }

    /** The first mount point of type {@code bpf} (bpffs), if any. */
    public static Optional<Path> bpffs() {
        return mountOfType("bpf");
    }

    /** The cgroup v2 directory this JVM runs in (from {@code /proc/self/cgroup}), if cgroup v2 is mounted. */
    public static Optional<Path> ownCgroup() {
        Optional<Path> mount = cgroup2();
        if (mount.isEmpty()) {
            return Optional.empty();
        }
        return readLines(Path.of("/proc/self/cgroup")).stream()
                .filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3))
                .findFirst()
                .map(relative -> mount.get().resolve(relative.replaceFirst("^/+", "")));
    }

    static Optional<Path> mountOfType(String type) {
        return parseMounts(readLines(PROC_MOUNTS), type);
    }

    /** Parses lines in the {@code /proc/mounts} format: device, mount point (octal-escaped), type, ... */
    static Optional<Path> parseMounts(List<String> lines, String type) {
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length >= 3 && fields[2].equals(type)) {
                return Optional.of(Path.of(unescape(fields[1])));
            }
        }
        return Optional.empty();
    }

    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 4 <= field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
