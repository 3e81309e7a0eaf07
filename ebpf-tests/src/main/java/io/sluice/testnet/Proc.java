package io.sluice.testnet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A long-running process the harness started (a listener, a server, an agent). Its output is piped and kept
 * (the first MiB of each stream), never inherited. {@link #close()} kills it and its descendants by PID; the
 * owning {@link Topology} closes it too, so a test need not.
 */
public final class Proc implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final OutputCapture stdout;
    private final OutputCapture stderr;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Proc(List<String> command, Process process) {
        this.command = List.copyOf(command);
        this.process = process;
        this.stdout = OutputCapture.of(process.getInputStream(), "proc-" + process.pid() + "-out");
        this.stderr = OutputCapture.of(process.getErrorStream(), "proc-" + process.pid() + "-err");
    }

    static Proc start(List<String> command, Map<String, String> env) {
        return new Proc(command, Commands.start(command, env));
    }

    /** The PID of the started command (wrappers such as {@code ip netns exec} exec into it, keeping the PID). */
    public long pid() {
        return process.pid();
    }

    public List<String> command() {
        return command;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code once the process has ended. */
    public OptionalInt exitCode() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    /** What the process wrote to standard output so far. */
    public String stdout() {
        return stdout.text();
    }

    /** What the process wrote to standard error so far. */
    public String stderr() {
        return stderr.text();
    }

    /** Waits up to {@code bound} for the process to end by itself; returns whether it did. */
    public boolean awaitExit(Duration bound) {
        // Process.waitFor, not the handle: a handle reports an ended child dead before the JDK has reaped it, and
        // until then exitCode() has no value.
        try {
            return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for process " + pid(), e);
        }
    }

    /** Waits up to {@code bound} for both output streams of an ended process to be read to their end. */
    void awaitOutput(Duration bound) {
        stdout.await(bound);
        stderr.await(bound);
    }

    /** Kills the process and its descendants (SIGTERM, then SIGKILL). Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Commands.killTree(process.toHandle());
            // A killed child is a zombie until the JDK's reaper collects it; Process.isAlive() is true until then.
            awaitReaped(Duration.ofSeconds(2));
            if (process.isAlive()) {
                throw new IllegalStateException("process " + pid() + " [" + String.join(" ", command)
                        + "] survived SIGKILL");
            }
        }
    }

    private void awaitReaped(Duration bound) {
        try {
            process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "Proc[pid=" + pid() + ", " + String.join(" ", command) + "]";
    }
}
