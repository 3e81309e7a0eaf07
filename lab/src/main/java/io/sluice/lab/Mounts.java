package io.sluice.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The machine's cgroup v2 and bpffs mounts, from {@code /proc/mounts} (never assumed). */
public final class Mounts {
    private Mounts() {
    }

    /** The first mount of type {@code cgroup2}. */
    public static Optional<Path> cgroup2() {
        return ofType("cgroup2");
    }

    /** The first mount of type {@code bpf}. */
    public static Optional<Path> bpffs() {
        return ofType("bpf");
    }

    private static Optional<Path> ofType(String type) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/mounts"));
        } catch (IOException e) {
            return Optional.empty();
        }
        return parse(lines, type);
    }

    /** The mount point of the first line of {@code type} in the {@code /proc/mounts} format (octal escapes undone). */
    static Optional<Path> parse(List<String> lines, String type) {
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
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
