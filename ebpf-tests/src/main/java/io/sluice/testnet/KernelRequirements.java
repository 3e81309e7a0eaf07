package io.sluice.testnet;

import io.sluice.loader.KernelMounts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What a kernel test needs from the machine, checked once per JVM. */
public final class KernelRequirements {
    private static volatile List<String> missing;

    private KernelRequirements() {
    }

    /** What is missing (empty when a kernel test can run), each entry naming the thing and how to get it. */
    public static List<String> missing() {
        List<String> result = missing;
        if (result == null) {
            result = check();
            missing = result;
        }
        return result;
    }

    /**
     * For tests that {@link KernelTest} cannot mark (jqwik's containers): whether a kernel test can run here; when it
     * cannot, false, or under CI an {@link IllegalStateException} naming what is missing (kernel tests must run in CI).
     */
    public static boolean available() {
        List<String> gaps = missing();
        if (gaps.isEmpty()) {
            return true;
        }
        if (KernelTestExtension.isCi()) {
            throw new IllegalStateException("kernel test cannot run, missing: " + gaps);
        }
        return false;
    }

    private static List<String> check() {
        List<String> gaps = new ArrayList<>();
        long uid = effectiveUid();
        if (uid != 0) {
            gaps.add("root (effective uid is " + uid + ")");
        }
        if (KernelMounts.bpffs().isEmpty()) {
            gaps.add("a bpf filesystem (no type bpf in /proc/mounts; bin/setup mounts it)");
        }
        if (KernelMounts.cgroup2().isEmpty()) {
            gaps.add("a cgroup v2 mount (no type cgroup2 in /proc/mounts)");
        }
        if (!runs("ip", "-V")) {
            gaps.add("the ip command (Debian package iproute2)");
        }
        if (!runs("socat", "-V")) {
            gaps.add("the socat command (Debian package socat)");
        }
        return List.copyOf(gaps);
    }

    private static long effectiveUid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("Uid:"))
                    .map(line -> Long.parseLong(line.split("\\s+")[2]))
                    .findFirst()
                    .orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    private static boolean runs(String... command) {
        try {
            return Commands.run(List.of(command), Map.of(), Duration.ofSeconds(5)).succeeded();
        } catch (CommandFailedException notInstalled) {
            return false;
        }
    }
}
