package io.sluice.loader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A Linux network namespace, held open by a file descriptor of {@code /run/netns/NAME} or
 * {@code /proc/PID/ns/net}. {@link #call} runs work inside it: the network namespace belongs to a thread, so
 * the work runs on a fresh platform thread that first joins the namespace ({@code setns(fd, CLONE_NEWNET)}) and
 * then ends, and no thread of the JVM stays in a foreign namespace. Work that already runs in this namespace
 * runs on the calling thread. Inside {@code call}, {@code if_nametoindex}, libbpf's netlink calls (tc, XDP) and
 * sockets created by Java code all see and belong to this namespace; the mount namespace (and so {@code /sys})
 * does not change. Beware {@code /proc/net} (= {@code /proc/self/net}): it shows the namespace of the process's
 * main thread, and so does part of {@link java.net.NetworkInterface}'s enumeration (IPv6 addresses); read
 * {@code /proc/thread-self/net} instead, as {@link #interfaceNames()} does.
 *
 * <p>Thread safety: {@link #call} may be used from any thread, concurrently; {@link #close} must not race with a
 * call.
 */
public final class NetworkNamespace implements AutoCloseable {
    private static final Path RUN_NETNS = Path.of("/run/netns");

    private final int fd;
    private final String description;
    private final long inode;
    private boolean closed;

    private NetworkNamespace(int fd, String description) {
        this.fd = fd;
        this.description = description;
        try {
            this.inode = (Long) Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:ino");
        } catch (IOException | RuntimeException e) {
            LibC.close(fd, description);
            throw new IllegalStateException("cannot stat " + description, e);
        }
    }

    /**
     * A namespace made by {@code ip netns add NAME} ({@code /run/netns/NAME}).
     *
     * @throws IllegalArgumentException if the name is not a plain name or there is no such namespace
     */
    public static NetworkNamespace named(String name) {
        if (name == null || name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("network namespace name must be a plain file name, got '" + name + "'");
        }
        Path file = RUN_NETNS.resolve(name);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no network namespace '" + name + "' (" + file + " does not exist)");
        }
        return new NetworkNamespace(LibC.open(file.toString(), LibC.O_RDONLY, "network namespace"), "netns '" + name + "'");
    }

    /** The namespace of a process ({@code /proc/PID/ns/net}). */
    public static NetworkNamespace ofProcess(long pid) {
        Path file = Path.of("/proc", Long.toString(pid), "ns", "net");
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no process " + pid + " (" + file + " does not exist)");
        }
        return new NetworkNamespace(LibC.open(file.toString(), LibC.O_RDONLY, "network namespace"), "netns of pid " + pid);
    }

    /** The namespace of the calling thread. */
    public static NetworkNamespace current() {
        int fd = LibC.open("/proc/thread-self/ns/net", LibC.O_RDONLY, "network namespace");
        return new NetworkNamespace(fd, "current netns");
    }

    /** Work to run inside a namespace; {@code E} lets checked exceptions through {@link #call}. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code work} inside this namespace and returns its result; what it throws is thrown here unchanged.
     * Waits for the work to finish even if the caller is interrupted (then re-asserts the interrupt).
     */
    public <T, E extends Exception> T call(Work<T, E> work) throws E {
        ensureOpen();
        if (callerInside()) {
            return work.run();
        }
        Outcome<T> outcome = new Outcome<>();
        Thread thread = Thread.ofPlatform().name("sluice " + description).unstarted(() -> {
            try {
                LibC.setnsNet(fd, description);
                outcome.value = work.run();
            } catch (Throwable t) {
                outcome.failure = t;
            }
        });
        thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (outcome.failure != null) {
            throw NetworkNamespace.<E>sneaky(outcome.failure);
        }
        return outcome.value;
    }

    /** The same as {@link #call} for work without a result. */
    public <E extends Exception> void run(Work<Void, E> work) throws E {
        call(work);
    }

    /**
     * The index of interface {@code ifname} in this namespace.
     *
     * @throws IllegalArgumentException naming the interface and this namespace if there is none
     */
    public int interfaceIndex(String ifname) {
        int index = call(() -> LibC.ifNameToIndex(ifname));
        if (index == 0) {
            throw new IllegalArgumentException("no interface '" + ifname + "' in " + description);
        }
        return index;
    }

    /** The names of the interfaces in this namespace (from {@code /proc/thread-self/net/dev}), sorted. */
    public List<String> interfaceNames() {
        List<String> lines = call(() -> {
            try {
                return Files.readAllLines(Path.of("/proc/thread-self/net/dev"));
            } catch (IOException e) {
                throw new UncheckedIOException("reading the interfaces of " + description, e);
            }
        });
        // Two header lines, then "  NAME: counters...".
        return lines.stream().skip(2).map(line -> line.substring(0, line.indexOf(':')).strip()).sorted().toList();
    }

    /** The namespace's inode number (nsfs): two handles on the same namespace have the same one. */
    public long inode() {
        return inode;
    }

    /** What this namespace is, for messages: {@code netns 'NAME'}, {@code netns of pid N}, {@code current netns}. */
    public String description() {
        return description;
    }

    /** A second handle on the same namespace, for objects (a tc filter) that must outlive the caller's handle. */
    NetworkNamespace duplicate() {
        ensureOpen();
        return new NetworkNamespace(LibC.dup(fd, description), description);
    }

    private boolean callerInside() {
        try {
            return inode == (Long) Files.getAttribute(Path.of("/proc/thread-self/ns/net"), "unix:ino");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat the calling thread's network namespace", e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd, description);
        }
    }

    @Override
    public String toString() {
        return description;
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    private static final class Outcome<T> {
        T value;
        Throwable failure;
    }
}
