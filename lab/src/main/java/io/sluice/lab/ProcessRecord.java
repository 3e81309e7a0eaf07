package io.sluice.lab;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A process the lab started, by PID and start time, and whether it serves yet: the start time tells it apart from a
 * later process that reuses the PID, so the lab never signals a process it did not start. A process is recorded
 * before it serves (so that {@code down} finds it whatever happens next) and is reported running only once it
 * serves: users run {@code lab probe} right after {@code lab status} says so.
 *
 * @param pid             the process id
 * @param startedAtMillis its start time (epoch milliseconds, as the kernel reports it)
 * @param starting        true from its start until it serves (a responder listens, an agent answers /readyz); false
 *                        in a state written before the lab recorded this
 */
public record ProcessRecord(long pid, long startedAtMillis, boolean starting) {

    /** The record of a process that serves from its start: the current one. */
    public static ProcessRecord of(ProcessHandle handle) {
        return new ProcessRecord(handle.pid(), startedAtMillis(handle), false);
    }

    /** The record of a process just started, which does not serve yet. */
    public static ProcessRecord justStarted(ProcessHandle handle) {
        return new ProcessRecord(handle.pid(), startedAtMillis(handle), true);
    }

    private static long startedAtMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /** This process, now serving. */
    public ProcessRecord asServing() {
        return new ProcessRecord(pid, startedAtMillis, false);
    }

    /** Whether the process runs and serves: what {@code lab status} reports as running. */
    public boolean running() {
        return !starting && alive();
    }

    /** The live process this record names, if it still runs (and is the same process). */
    public Optional<ProcessHandle> handle() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> startedAtMillis == 0
                || h.info().startInstant().map(Instant::toEpochMilli).orElse(-1L) == startedAtMillis);
    }

    /** Whether the process still runs, serving or not. */
    public boolean alive() {
        return handle().isPresent();
    }

    /** Sends SIGTERM (when the process still runs), without waiting. */
    public void terminate() {
        handle().ifPresent(ProcessHandle::destroy);
    }

    /**
     * Sends SIGTERM, waits up to {@code grace} for the exit, then SIGKILL and waits again.
     *
     * @return true when the process is gone
     */
    public boolean stop(Duration grace) {
        Optional<ProcessHandle> handle = handle();
        if (handle.isEmpty()) {
            return true;
        }
        ProcessHandle h = handle.get();
        h.destroy();
        if (awaitExit(grace)) {
            return true;
        }
        h.destroyForcibly();
        return awaitExit(Duration.ofSeconds(5));
    }

    private boolean awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !alive();
            }
        }
        return true;
    }
}
