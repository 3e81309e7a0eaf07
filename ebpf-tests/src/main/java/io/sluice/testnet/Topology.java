package io.sluice.testnet;

import io.sluice.loader.Cgroups;
import io.sluice.loader.KernelMounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds a throw-away network topology for one test and owns everything in it: network namespaces, veth pairs and
 * bridges inside them, addresses, routes, neighbour entries and sysctls of those namespaces, cgroups, bpffs
 * folders and processes. {@link #close()} removes it all in reverse order of creation, goes on past failures
 * (reporting them together in a {@link TeardownException}), and is idempotent.
 *
 * <p>The root network namespace is never touched: veth pairs are created directly inside test namespaces.
 * Nothing can lead out of the machine: addresses come from the benchmarking ranges (198.18.0.0/15,
 * 2001:2::/48), a route must go via an address or a device of this topology, sysctls are written only inside
 * test namespaces. All names carry this JVM's PID (see {@link Sweeper}).
 *
 * <p>Building methods are synchronized; processes may be started from any thread. A shutdown hook closes
 * topologies still open when the JVM exits; what a killed JVM leaves is removed by the next run's sweep.
 */
public final class Topology implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Topology.class);
    private static final Set<Topology> OPEN = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean SHUTDOWN_HOOK = new AtomicBoolean();

    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");
    private static final Pattern SYSCTL_KEY = Pattern.compile("net(\\.[A-Za-z0-9_-]+)+");
    private static final Pattern SYSCTL_VALUE = Pattern.compile("[A-Za-z0-9_.:-]+( [A-Za-z0-9_.:-]+)*");
    private static final Duration DRAIN = Duration.ofSeconds(2);

    private final Deque<Teardown> teardowns = new ArrayDeque<>();
    private final Map<String, Netns> namespaces = new LinkedHashMap<>();
    private final Map<String, Set<String>> interfaces = new HashMap<>();
    private final Map<InetAddress, String> addressOwners = new HashMap<>();
    private final Set<Cgroup> cgroups = new HashSet<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private record Teardown(String what, Step step) {
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Starts an empty topology; the first one in a JVM also sweeps leftovers of dead runs ({@link Sweeper}). */
    public Topology() {
        Sweeper.sweepOnce();
        OPEN.add(this);
        if (SHUTDOWN_HOOK.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(Topology::closeAllOpen, "sluice-testnet-teardown"));
        }
    }

    /** Creates a network namespace with its loopback up. */
    public synchronized Netns namespace(String logicalName) {
        requireOpen();
        TestNames.requireLogical("Topology.namespace", logicalName);
        String name = TestNames.netns(logicalName);
        Commands.run(List.of("ip", "netns", "add", name)).orThrow();
        push("namespace " + name, () -> removeNamespace(name));
        Netns ns = new Netns(this, name, logicalName, null);
        namespaces.put(name, ns);
        interfaces.put(name, new HashSet<>(Set.of("lo")));
        ip(ns, "link", "set", "lo", "up");
        return ns;
    }

    /** The namespaces made so far, in order of creation. */
    public synchronized List<Netns> namespaces() {
        return List.copyOf(namespaces.values());
    }

    /** Creates a veth pair with one end in each namespace (created in place: it never exists in the root namespace) and sets both ends up. */
    public synchronized void veth(Netns a, String ifA, Netns b, String ifB) {
        requireOpen();
        requireOwned(a);
        requireOwned(b);
        requireNewInterface("Topology.veth", a, ifA);
        requireNewInterface("Topology.veth", b, ifB);
        if (a.name().equals(b.name()) && ifA.equals(ifB)) {
            throw new IllegalArgumentException("Topology.veth: both ends are named " + ifA + " in " + a.name());
        }
        Commands.run(List.of("ip", "-n", a.name(), "link", "add", ifA, "type", "veth", "peer", "name", ifB,
                "netns", b.name())).orThrow();
        interfaces.get(a.name()).add(ifA);
        interfaces.get(b.name()).add(ifB);
        ip(a, "link", "set", ifA, "up");
        ip(b, "link", "set", ifB, "up");
    }

    /** Creates a bridge in {@code ns}, enslaves the given interfaces of this topology in {@code ns}, and sets it up. */
    public synchronized void bridge(Netns ns, String name, String... ports) {
        requireOpen();
        requireOwned(ns);
        requireNewInterface("Topology.bridge", ns, name);
        for (String port : ports) {
            requireKnownInterface("Topology.bridge port", ns, port);
        }
        ip(ns, "link", "add", name, "type", "bridge");
        interfaces.get(ns.name()).add(name);
        for (String port : ports) {
            ip(ns, "link", "set", port, "master", name);
        }
        ip(ns, "link", "set", name, "up");
    }

    /** Adds {@code cidr} (such as {@code 198.18.0.1/24}) to an interface of this topology; it must lie in the test ranges. */
    public synchronized void address(Netns ns, String ifname, String cidr) {
        requireOpen();
        requireOwned(ns);
        requireKnownInterface("Topology.address", ns, ifname);
        String field = "Topology.address of " + ifname + " in " + ns.logicalName();
        Cidr parsed = Cidr.parse(field, cidr);
        if (!Cidr.inTestRanges(parsed.address())) {
            throw new IllegalArgumentException(field + ": '" + cidr + "' is outside the test ranges "
                    + Cidr.testRangesText());
        }
        if (addressOwners.containsKey(parsed.address())) {
            throw new IllegalArgumentException(field + ": '" + parsed.address().getHostAddress()
                    + "' is already assigned in " + addressOwners.get(parsed.address()));
        }
        List<String> args = new ArrayList<>(List.of("addr", "add", cidr, "dev", ifname));
        if (parsed.address() instanceof Inet6Address) {
            args.add("nodad"); // usable at once instead of after duplicate address detection
        }
        ip(ns, args.toArray(String[]::new));
        addressOwners.put(parsed.address(), ns.name());
    }

    /**
     * Adds a route in {@code ns} to {@code destination} (a prefix, or {@code default}) via {@code gateway}, which
     * must be an address this topology assigned: a route can only lead into the topology, never out of the machine.
     */
    public synchronized void routeVia(Netns ns, String destination, String gateway) {
        requireOpen();
        requireOwned(ns);
        String field = "Topology.routeVia in " + ns.logicalName();
        InetAddress via = Cidr.parseAddress(field + " gateway", gateway);
        if (!addressOwners.containsKey(via)) {
            throw new IllegalArgumentException(field + ": gateway " + gateway + " is not an address of this"
                    + " topology; a route may only lead to a namespace of this topology");
        }
        String dest = requireDestination(field, destination, via instanceof Inet6Address);
        ip(ns, family(via), "route", "add", dest, "via", gateway);
    }

    /** Adds a route in {@code ns} to {@code destination} (a prefix, {@code default} or {@code ::/0}) out of an interface of this topology. */
    public synchronized void routeDev(Netns ns, String destination, String ifname) {
        requireOpen();
        requireOwned(ns);
        String field = "Topology.routeDev in " + ns.logicalName();
        requireKnownInterface(field, ns, ifname);
        boolean v6 = destination != null && destination.contains(":");
        String dest = requireDestination(field, destination, v6);
        ip(ns, v6 ? "-6" : "-4", "route", "add", dest, "dev", ifname);
    }

    /** Adds a permanent neighbour entry: {@code ip} (in the test ranges) is at {@code mac} on {@code ifname}. */
    public synchronized void neighbor(Netns ns, String ifname, String ip, String mac) {
        requireOpen();
        requireOwned(ns);
        String field = "Topology.neighbor in " + ns.logicalName();
        requireKnownInterface(field, ns, ifname);
        InetAddress address = Cidr.parseAddress(field + " address", ip);
        if (!Cidr.inTestRanges(address)) {
            throw new IllegalArgumentException(field + ": address " + ip + " is outside the test ranges "
                    + Cidr.testRangesText());
        }
        if (mac == null || !MAC.matcher(mac).matches()) {
            throw new IllegalArgumentException(field + ": MAC address '" + mac + "' is not of the form 02:00:00:00:00:01");
        }
        ip(ns, "neigh", "replace", ip, "lladdr", mac, "dev", ifname, "nud", "permanent");
    }

    /**
     * Sets a network sysctl ({@code net.*}) inside {@code ns}, for example {@code net.ipv4.ip_forward}. Refuses
     * anything else, and checks that the root namespace's value did not change (a sysctl that is not per
     * namespace is put back and refused).
     */
    public synchronized void sysctl(Netns ns, String key, String value) {
        requireOpen();
        requireOwned(ns);
        String field = "Topology.sysctl in " + ns.logicalName();
        if (key == null || !SYSCTL_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(field + ": key '" + key
                    + "' must be a network sysctl such as net.ipv4.ip_forward");
        }
        if (value == null || value.length() > 64 || !SYSCTL_VALUE.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": value '" + value + "' of " + key
                    + " must be up to 64 characters of letters, digits, '_', '.', ':', '-' and single spaces");
        }
        Path rootFile = Path.of("/proc/sys", key.split("\\."));
        Optional<String> rootBefore = readSysctl(rootFile);
        ExecResult written = ns.withoutCgroup().exec("sysctl", "-q", "-w", key + "=" + value);
        Optional<String> rootAfter = readSysctl(rootFile);
        if (!rootBefore.equals(rootAfter)) {
            rootBefore.ifPresent(original -> restoreRootSysctl(rootFile, original));
            throw new IllegalArgumentException(field + ": " + key + " is not a per-namespace sysctl (writing it"
                    + " changed the root namespace; the original value was put back)");
        }
        written.orThrow();
        String readBack = ns.withoutCgroup().exec("sysctl", "-n", key).orThrow().stdout().strip();
        if (!readBack.replaceAll("\\s+", " ").equals(value)) {
            throw new CommandFailedException(field + ": " + key + " reads '" + readBack + "' after writing '" + value + "'");
        }
    }

    /** Creates a cgroup under the cgroup v2 mount ({@code sluice-test/<pid>-<n>-<logical>}), removed on close. */
    public synchronized Cgroup cgroup(String logicalName) {
        requireOpen();
        TestNames.requireLogical("Topology.cgroup", logicalName);
        Path mount = KernelMounts.cgroup2().orElseThrow(() ->
                new IllegalStateException("Topology.cgroup: no cgroup2 mount in /proc/mounts"));
        Path dir = mount.resolve(TestNames.CGROUP_PARENT).resolve(TestNames.cgroup(logicalName));
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Topology.cgroup: cannot create " + dir, e);
        }
        Cgroup cgroup = new Cgroup(this, dir, logicalName);
        cgroups.add(cgroup);
        push("cgroup " + dir, () -> removeCgroup(dir));
        return cgroup;
    }

    /** Creates a folder on bpffs ({@code sluice-test-<pid>-<n>-<logical>}) for pins; it and its pins are removed on close. */
    public synchronized Path bpfDirectory(String logicalName) {
        requireOpen();
        TestNames.requireLogical("Topology.bpfDirectory", logicalName);
        Path mount = KernelMounts.bpffs().orElseThrow(() ->
                new IllegalStateException("Topology.bpfDirectory: no bpf filesystem in /proc/mounts"));
        Path dir = mount.resolve(TestNames.bpfDir(logicalName));
        try {
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Topology.bpfDirectory: cannot create " + dir, e);
        }
        push("bpffs folder " + dir, () -> deleteTree(dir));
        return dir;
    }

    /**
     * Removes everything in reverse order of creation: processes (killed by PID), bpffs folders, cgroups,
     * namespaces (which takes their interfaces along). Goes on after a failure and throws one
     * {@link TeardownException} listing all of them at the end. A second call does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        OPEN.remove(this);
        List<Exception> failures = new ArrayList<>();
        while (true) {
            Teardown teardown;
            synchronized (this) {
                teardown = teardowns.pollFirst();
            }
            if (teardown == null) {
                break;
            }
            try {
                teardown.step().run();
            } catch (Exception e) {
                failures.add(new IllegalStateException("removing " + teardown.what() + ": " + e.getMessage(), e));
            }
        }
        if (!failures.isEmpty()) {
            throw new TeardownException(failures);
        }
    }

    public boolean isClosed() {
        return closed.get();
    }

    Proc adopt(Proc proc) {
        synchronized (this) {
            if (!closed.get()) {
                teardowns.push(new Teardown("process " + proc.pid() + " [" + String.join(" ", proc.command()) + "]",
                        proc::close));
                return proc;
            }
        }
        proc.close();
        throw new IllegalStateException("topology is closed");
    }

    void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("topology is closed");
        }
    }

    synchronized void requireOwned(Netns ns) {
        Objects.requireNonNull(ns, "namespace");
        if (ns.owner() != this || !namespaces.containsKey(ns.name())) {
            throw new IllegalArgumentException("namespace " + ns.name() + " does not belong to this topology");
        }
    }

    synchronized void requireOwned(Cgroup cgroup) {
        if (cgroup.owner() != this || !cgroups.contains(cgroup)) {
            throw new IllegalArgumentException("cgroup " + cgroup.path() + " does not belong to this topology");
        }
    }

    private void push(String what, Step step) {
        teardowns.push(new Teardown(what, step));
    }

    private static void ip(Netns ns, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", ns.name()));
        argv.addAll(List.of(args));
        Commands.run(argv).orThrow();
    }

    private static String family(InetAddress address) {
        return address instanceof Inet6Address ? "-6" : "-4";
    }

    private void requireNewInterface(String field, Netns ns, String ifname) {
        if (ifname == null || !IFNAME.matcher(ifname).matches()) {
            throw new IllegalArgumentException(field + ": interface name '" + ifname + "' in " + ns.logicalName()
                    + " must be 1 to 15 characters of letters, digits, '_', '.' and '-', starting with a letter or digit");
        }
        if (interfaces.get(ns.name()).contains(ifname)) {
            throw new IllegalArgumentException(field + ": interface " + ifname + " already exists in " + ns.logicalName());
        }
    }

    private void requireKnownInterface(String field, Netns ns, String ifname) {
        if (ifname == null || !interfaces.get(ns.name()).contains(ifname)) {
            throw new IllegalArgumentException(field + ": interface '" + ifname + "' is not an interface of this"
                    + " topology in " + ns.logicalName() + " (known: " + interfaces.get(ns.name()) + ")");
        }
    }

    private static String requireDestination(String field, String destination, boolean v6) {
        if ("default".equals(destination)) {
            return "default";
        }
        Cidr dest = Cidr.parse(field + " destination", destination);
        if ((dest.address() instanceof Inet6Address) != v6) {
            throw new IllegalArgumentException(field + ": destination " + destination
                    + " and the next hop are of different IP families");
        }
        return dest.isDefault() ? "default" : destination;
    }

    private static Optional<String> readSysctl(Path file) {
        try {
            return Optional.of(Files.readString(file).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void restoreRootSysctl(Path file, String original) {
        try {
            Files.writeString(file, original);
        } catch (IOException e) {
            LOG.error("could not restore root namespace sysctl {} to {}", file, original, e);
        }
    }

    private static void removeNamespace(String name) {
        List<String> remaining = namespacePids(name);
        long deadline = System.nanoTime() + DRAIN.toNanos();
        while (!remaining.isEmpty() && System.nanoTime() < deadline) {
            Commands.sleep(Duration.ofMillis(20));
            remaining = namespacePids(name);
        }
        Commands.run(List.of("ip", "netns", "del", name)).orThrow();
        if (!remaining.isEmpty()) {
            throw new IllegalStateException("namespace " + name + " was deleted while processes not started by the"
                    + " harness still ran in it: " + remaining);
        }
    }

    static List<String> namespacePids(String name) {
        ExecResult result = Commands.run(List.of("ip", "netns", "pids", name));
        return result.succeeded() ? result.stdout().lines().map(String::strip).filter(s -> !s.isEmpty()).toList() : List.of();
    }

    /**
     * Removes a cgroup directory. The processes the harness started in it are already gone (they were started after
     * it, so torn down before it); any other process still in it is moved to the JVM's own cgroup so the directory
     * can go, and reported.
     */
    private static void removeCgroup(Path dir) throws IOException {
        List<Long> strays = Files.isDirectory(dir) ? Cgroup.readPids(dir) : List.of();
        if (!strays.isEmpty()) {
            Path home = Cgroups.ownCgroup().orElseThrow();
            for (long pid : strays) {
                try {
                    Files.writeString(home.resolve("cgroup.procs"), Long.toString(pid));
                } catch (IOException gone) {
                    // The process exited meanwhile.
                }
            }
        }
        removeCgroupDir(dir);
        if (!strays.isEmpty()) {
            throw new IllegalStateException("cgroup " + dir + " held processes not started by the harness: "
                    + strays + " (moved out before removal)");
        }
    }

    /** rmdir of a cgroup, retried while it still reports exiting processes (EBUSY). */
    static void removeCgroupDir(Path dir) throws IOException {
        long deadline = System.nanoTime() + DRAIN.toNanos();
        while (true) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException busy) {
                if (System.nanoTime() > deadline) {
                    throw busy;
                }
                Commands.sleep(Duration.ofMillis(20));
            }
        }
    }

    /**
     * Deletes a folder and everything below it, deepest first (on bpffs, deleting a pin unpins it); a folder that
     * is not there is left at that.
     */
    public static void deleteTree(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        } catch (NoSuchFileException gone) {
            return;
        }
        for (Path path : all) {
            Files.deleteIfExists(path);
        }
    }

    private static void closeAllOpen() {
        for (Topology topology : List.copyOf(OPEN)) {
            try {
                topology.close();
            } catch (RuntimeException e) {
                // The JVM is exiting; what stays is removed by the Sweeper of the next run.
                LOG.warn("teardown at JVM exit failed", e);
            }
        }
    }
}
