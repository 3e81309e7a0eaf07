package io.sluice.loader;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What the kernel tests need: root and bpffs (else skip, or fail when CI=true), unique names, and scratch kernel
 * objects (bpffs folders, network namespaces with a veth pair, cgroups) that are removed again, also on failure.
 */
final class Kernel {
    static final Path BPFFS = Path.of("/sys/fs/bpf");
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private Kernel() {
    }

    /** Skips the calling test without root and bpffs; when CI=true, fails it instead. */
    static void require() {
        String missing = null;
        if (!isRoot()) {
            missing = "root (BPF syscalls, namespaces, cgroups)";
        } else if (!Files.isDirectory(BPFFS) || !Files.isWritable(BPFFS)) {
            missing = "a writable bpffs at " + BPFFS;
        }
        if (missing != null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true but this test cannot run: it needs " + missing);
            }
            Assumptions.abort("needs " + missing);
        }
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(line -> line.startsWith("Uid:") && line.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    /** A name no other test run uses: {@code prefix-PID-N}. */
    static String uniqueName(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
    }

    /** Runs a command, returns its output; fails the test if it exits non-zero. */
    static String run(String... command) {
        Result result = tryRun(command);
        if (result.exitCode != 0) {
            fail(String.join(" ", command) + " exited " + result.exitCode + ": " + result.output);
        }
        return result.output;
    }

    record Result(int exitCode, String output) {
    }

    /** Runs a command with its output piped (never inherited: surefire owns stdout). */
    static Result tryRun(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }

    /** A fresh folder on bpffs, {@code /sys/fs/bpf/sluice-test-PID-N}, removed with everything pinned in it. */
    static final class BpffsDir implements AutoCloseable {
        final Path path;

        BpffsDir() throws IOException {
            path = Files.createDirectory(BPFFS.resolve(uniqueName("sluice-test")));
        }

        @Override
        public void close() throws IOException {
            deleteTree(path);
        }
    }

    /**
     * A network namespace {@code sluice-ldr-PID-N} holding a veth pair {@code v0}/{@code v1} that is up, with
     * 10.211.0.1/24 on v1; deleted (with the veths) on close.
     */
    static final class TestNetns implements AutoCloseable {
        final String name = uniqueName("sluice-ldr");

        TestNetns() {
            run("ip", "netns", "add", name);
            try {
                run("ip", "-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
                run("ip", "-n", name, "link", "set", "v0", "up");
                run("ip", "-n", name, "link", "set", "v1", "up");
                run("ip", "-n", name, "addr", "add", "10.211.0.1/24", "dev", "v1");
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /** Runs a command inside the namespace ({@code ip -n NAME ...} style commands take the name themselves). */
        String exec(String... command) {
            List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
            full.addAll(List.of(command));
            return run(full.toArray(String[]::new));
        }

        @Override
        public void close() {
            tryRun("ip", "netns", "del", name);
        }
    }

    /** A fresh cgroup {@code sluice-test-PID-N} under the cgroup v2 mount, removed on close. */
    static final class TestCgroup implements AutoCloseable {
        final Path path;

        TestCgroup() throws IOException {
            path = Files.createDirectory(Cgroups.v2Mount().resolve(uniqueName("sluice-test")));
        }

        @Override
        public void close() throws IOException {
            Files.deleteIfExists(path);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
