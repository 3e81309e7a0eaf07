package io.sluice.lab;

import io.sluice.loader.KernelMounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What a lab needs from the machine, each gap named with how to fill it. */
public final class LabRequirements {
    private static final List<String[]> COMMANDS = List.of(
            new String[] {"ip", "iproute2"},
            new String[] {"nsenter", "util-linux"},
            new String[] {"setsid", "util-linux"},
            new String[] {"sysctl", "procps"},
            new String[] {PodCommand.PYTHON, "python3"});

    private LabRequirements() {
    }

    /** What is missing to build and run a lab (empty when nothing is). */
    public static List<String> missing() {
        List<String> gaps = new ArrayList<>();
        long uid = effectiveUid();
        if (uid != 0) {
            gaps.add("root: the lab creates network namespaces and cgroups (effective uid is " + uid + "; run it with sudo)");
        }
        for (String[] command : COMMANDS) {
            if (!HostCommand.available(command[0])) {
                gaps.add("the " + command[0] + " command (Debian package " + command[1] + "; bin/setup installs it)");
            }
        }
        if (KernelMounts.cgroup2().isEmpty()) {
            gaps.add("a cgroup v2 mount (no type cgroup2 in /proc/mounts): each node's agent needs its own cgroup");
        }
        if (KernelMounts.bpffs().isEmpty()) {
            gaps.add("a bpf filesystem (no type bpf in /proc/mounts; bin/setup mounts it at /sys/fs/bpf)");
        }
        return gaps;
    }

    static long effectiveUid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("Uid:"))
                    .map(line -> Long.parseLong(line.split("\\s+")[2]))
                    .findFirst().orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
