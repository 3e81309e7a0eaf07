package io.sluice.testnet;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs commands from argument arrays (never through a shell string) with a timeout, and kills process trees by PID. */
final class Commands {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final File DEV_NULL = new File("/dev/null");

    private Commands() {
    }

    static ExecResult run(List<String> command) {
        return run(command, Map.of(), DEFAULT_TIMEOUT);
    }

    static ExecResult run(List<String> command, Map<String, String> env, Duration timeout) {
        Process process = start(command, env);
        OutputCapture out = OutputCapture.of(process.getInputStream(), "stdout");
        OutputCapture err = OutputCapture.of(process.getErrorStream(), "stderr");
        boolean exited;
        try {
            exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            killTree(process.toHandle());
            Thread.currentThread().interrupt();
            throw new CommandFailedException("interrupted while running [" + String.join(" ", command) + "]", e);
        }
        if (!exited) {
            killTree(process.toHandle());
        }
        out.await(GRACE);
        err.await(GRACE);
        return new ExecResult(command, exited ? process.exitValue() : -1, out.text(), err.text(), !exited);
    }

    /** Starts a process with stdin from /dev/null and both outputs piped. */
    static Process start(List<String> command, Map<String, String> env) {
        return start(command, env, ProcessBuilder.Redirect.from(DEV_NULL));
    }

    static Process start(List<String> command, Map<String, String> env, ProcessBuilder.Redirect stdin) {
        if (command.isEmpty() || command.stream().anyMatch(arg -> arg == null)) {
            throw new IllegalArgumentException("command must be non-empty and without null arguments: " + command);
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(stdin);
        builder.environment().putAll(env);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new CommandFailedException("cannot start [" + String.join(" ", command) + "]: " + e.getMessage(), e);
        }
    }

    /**
     * Terminates a process and every descendant it has now: SIGTERM, then SIGKILL for those still alive after a
     * grace period. The descendants are listed before anything is signalled, because once the root dies they are
     * re-parented and no longer found through it.
     */
    static void killTree(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
        if (!awaitExit(tree, GRACE)) {
            tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            awaitExit(tree, GRACE);
        }
    }

    static boolean awaitExit(List<ProcessHandle> processes, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(Duration.ofMillis(10));
        }
        return true;
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
