package io.sluice.agent.datapath;

import io.sluice.agent.config.LruMapSizes;
import io.sluice.agent.source.BackgroundPriority;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfLink;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.BpfProgram;
import io.sluice.loader.NetworkNamespace;
import io.sluice.loader.TcDirection;
import io.sluice.loader.TcFilter;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Node4Config;
import io.sluice.maps.NodeConfigMap;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.SocketDestroyer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's programs in the kernel: loads the objects with their maps pinned under the agent's bpffs folder
 * (adopting the pins a previous agent left, contents and all), keeps the socket programs attached to the cgroup
 * through pinned links (a restart or upgrade swaps the program inside the link atomically, never detaching), and
 * attaches the pod programs to pod interfaces at a fixed tc handle, so a restarted agent takes its filters over.
 *
 * <p>Programs stay attached when this object is closed or the process dies: that is the point.
 * Owned by the agent's start-up thread, then by the writer (maps) and {@link #attachPodInterfaces()} (tc).
 */
public final class Datapath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Datapath.class);
    /** The socket programs, each attached to the cgroup through a link pinned under its own name. */
    static final List<String> SOCKET_PROGRAMS = List.of("sock_connect4", "sock_sendmsg4", "sock_recvmsg4",
            "sock_getpeername4", "sock_connect6", "sock_sendmsg6", "sock_recvmsg6", "sock_getpeername6");
    /** tc handle and priority of Sluice's filters on pod interfaces: fixed, so a restart replaces its own. */
    static final int TC_HANDLE = 0x51;
    static final int TC_PRIORITY = 0x51;
    /**
     * Hidden, for tests of upgrades only: a folder of {@code NAME.bpf.o} files loaded instead of the objects in the
     * jar, so a test can restart the agent on a newly built object. Read here and nowhere else.
     */
    public static final String OBJECT_DIR_PROPERTY = "sluice.bpf.objectDir";

    /** The thread that loads the stale-socket iterator once the start leaves it a core (see {@link #loadedSocketDestroyer}). */
    static final String SOCKET_DESTROYER_LOAD_THREAD = "sluice-socket-destroyer-load";

    /** Maps earlier agents pinned that this one does not use: {@code policy4}, the LPM trie of policy entries. */
    static final List<String> RETIRED_MAPS = List.of("policy4");

    private final BpfObject sock;
    private final BpfObject pod;
    private final Path socketCgroup;
    private final Path pinnedMaps;
    /** Guards the stale-socket iterator's load and close. */
    private final Object socketDestroyerLock = new Object();
    /** Whether the stale-socket iterator's load was tried (or the data path closed first). */
    private boolean socketDestroyerTried;
    /** The stale-socket iterator and its object; null when the kernel cannot destroy sockets (before 6.5). */
    private SocketDestroyer socketDestroyer;
    private BpfObject sockDestroy;
    private final String podInterfacePrefix;
    private final Set<String> attachedInterfaces = new HashSet<>();
    private final ScheduledExecutorService interfaceWatch = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("sluice-pod-interfaces").unstarted(r));

    private Datapath(BpfObject sock, BpfObject pod, Path socketCgroup, Path pinnedMaps, String podInterfacePrefix) {
        this.sock = sock;
        this.pod = pod;
        this.socketCgroup = socketCgroup;
        this.pinnedMaps = pinnedMaps;
        this.podInterfacePrefix = podInterfacePrefix;
    }

    /** Loads and attaches everything, with this node's default LRU map sizes; see the next. */
    public static Datapath start(Path pinDir, Path cgroup, String podInterfacePrefix, List<String> externalInterfaces) {
        return start(pinDir, cgroup, podInterfacePrefix, externalInterfaces, LruMapSizes.forThisNode());
    }

    /**
     * Loads and attaches everything.
     *
     * @param pinDir             the agent's own folder on bpffs ({@code maps/} and {@code links/} go under it)
     * @param cgroup             the cgroup v2 folder whose processes get socket-level balancing
     * @param podInterfacePrefix interfaces of this network namespace whose name starts with it are pod veths
     * @param externalInterfaces the node's interfaces facing other nodes and clients (NodePort, ExternalIP,
     *                           LoadBalancer traffic): from_netdev at ingress, to_netdev at egress
     * @param lruMapSizes        max_entries of the LRU maps this start creates; a map already pinned keeps its size
     *                           and its contents (said once in the log when the sizes differ)
     */
    public static Datapath start(Path pinDir, Path cgroup, String podInterfacePrefix, List<String> externalInterfaces,
                                 LruMapSizes lruMapSizes) {
        Path maps = pinDir.resolve("maps");
        Path links = pinDir.resolve("links");
        try {
            Files.createDirectories(maps);
            Files.createDirectories(links);
        } catch (IOException e) {
            throw new UncheckedIOException("creating the pin folders under " + pinDir + " (is it on bpffs?)", e);
        }
        BpfObject sock = load(BpfObjectFile.SOCK, maps, lruMapSizes.entries());
        BpfObject pod = null;
        try {
            pod = load(BpfObjectFile.POD, maps, lruMapSizes.entries());
            reportPinnedSizes(lruMapSizes.entries(), List.of(sock, pod));
            for (String name : SOCKET_PROGRAMS) {
                attachThroughPinnedLink(sock.program(name), cgroup, links.resolve(name));
            }
            Datapath datapath = new Datapath(sock, pod, cgroup, maps, podInterfacePrefix);
            try (NetworkNamespace here = NetworkNamespace.current()) {
                for (String ifname : externalInterfaces) {
                    attach(pod.program("from_netdev"), here, ifname, TcDirection.INGRESS);
                    attach(pod.program("to_netdev"), here, ifname, TcDirection.EGRESS);
                }
            }
            if (!externalInterfaces.isEmpty()) {
                LOG.info("attached the external programs to {}", externalInterfaces);
            }
            datapath.attachPodInterfaces();
            removeRetiredPins(maps);
            Thread.ofPlatform().daemon().name(SOCKET_DESTROYER_LOAD_THREAD).start(() -> {
                BackgroundPriority.lowerCurrentThreadToIdle();
                datapath.loadedSocketDestroyer();
            });
            return datapath;
        } catch (RuntimeException e) {
            sock.close();
            if (pod != null) {
                pod.close();
            }
            throw e;
        }
    }

    /**
     * Unpins the maps an earlier agent pinned that this one no longer uses, once every program of this one is in
     * place (no program of the earlier agent still reads them), so an upgrade does not leave their kernel memory
     * held by a pin nobody reads.
     */
    static void removeRetiredPins(Path maps) {
        for (String name : RETIRED_MAPS) {
            Path pin = maps.resolve(name);
            try {
                if (Files.deleteIfExists(pin)) {
                    LOG.info("removed the pinned map {}, which this agent no longer uses", pin);
                }
            } catch (IOException e) {
                LOG.warn("could not remove the retired pinned map {}: {}", pin, e.getMessage());
            }
        }
    }

    /**
     * Opens {@code file}, sizes the maps of {@code sizes} it declares, then pins its maps under {@code maps}: a map
     * already pinned keeps the pinned map's size ({@link BpfObject#pinMapsUnder}), whatever {@code sizes} says.
     */
    private static BpfObject load(BpfObjectFile file, Path maps, Map<String, Integer> sizes) {
        BpfObject object = BpfObject.open(objectBytes(file), file.baseName());
        try {
            for (BpfMap map : object.maps()) {
                Integer size = sizes.get(map.name());
                if (size != null) {
                    object.setMaxEntries(map.name(), size);
                }
            }
            object.pinMapsUnder(maps);
            object.load();
            return object;
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /**
     * Says, in one line, which LRU maps kept a pinned size other than the one configured: the flows they hold are
     * worth more than the new size, which applies once the pin is removed (the agent then creates the map anew).
     */
    private static void reportPinnedSizes(Map<String, Integer> configured, List<BpfObject> objects) {
        Map<String, Integer> kept = new LinkedHashMap<>();
        for (BpfObject object : objects) {
            for (BpfMap map : object.maps()) {
                Integer size = configured.get(map.name());
                if (size != null && size != map.maxEntries()) {
                    kept.putIfAbsent(map.name(), map.maxEntries());
                }
            }
        }
        if (!kept.isEmpty()) {
            StringBuilder sizes = new StringBuilder();
            kept.forEach((name, size) -> sizes.append(sizes.isEmpty() ? "" : ", ").append(name).append(' ').append(size)
                    .append(" (configured ").append(configured.get(name)).append(')'));
            LOG.info("adopted the pinned maps at their size, with their flows: {}; a configured size applies once the"
                    + " pinned map is removed", sizes);
        }
    }

    /**
     * The stale-socket iterator, loaded on the pinned service maps at the first call; null when the kernel refused it
     * (bpf_sock_destroy needs Linux 6.5: the agent then runs without, and says so once) or the data path is closed.
     *
     * <p>Why not at start: nothing attaches the iterator, it only runs when a UDP backend leaves its service, and
     * its load (libbpf reads the kernel's BTF for its relocations, then the kernel's) costs ~0.1 s of CPU that the
     * start would take from the first manifest parse. {@link #start} leaves the load to a thread at the lowest
     * priority, which gets the CPU once the start has finished with it; the writer's first destroy loads it itself
     * if that thread has not begun, or waits for it. Any thread.
     */
    private SocketDestroyer loadedSocketDestroyer() {
        synchronized (socketDestroyerLock) {
            if (socketDestroyerTried) {
                return socketDestroyer;
            }
            socketDestroyerTried = true;
            BpfObject object = null;
            try {
                object = load(BpfObjectFile.SOCK_DESTROY, pinnedMaps, Map.of());
                socketDestroyer = SocketDestroyer.of(object);
                sockDestroy = object;
            } catch (RuntimeException e) {
                if (object != null) {
                    object.close();
                }
                LOG.warn("connected UDP sockets will keep a backend that leaves its service: this kernel cannot run the"
                        + " socket iterator with bpf_sock_destroy (Linux 6.5 or later is needed): {}", e.getMessage());
            }
            return socketDestroyer;
        }
    }

    /**
     * Destroys the connected UDP sockets that the socket programs sent from a frontend to a backend which has since
     * left it (see {@link SocketDestroyer}), in this network namespace and in that of every process of the socket
     * cgroup. Destroys nothing when the kernel cannot (the iterator is loaded at the first call, see
     * {@link #loadedSocketDestroyer}); used by one thread at a time (the writer).
     */
    public StaleSocketDestroyer staleSocketDestroyer() {
        return removed -> {
            SocketDestroyer destroyer = loadedSocketDestroyer();
            if (destroyer == null) {
                return Map.of();
            }
            List<NetworkNamespace> namespaces = CgroupNetworkNamespaces.open(socketCgroup);
            try {
                return destroyer.destroy(removed, namespaces);
            } finally {
                namespaces.forEach(NetworkNamespace::close);
            }
        };
    }

    /** Whether the stale-socket iterator is loaded (false before its first use or when the kernel refused it). */
    boolean socketDestroyerLoaded() {
        synchronized (socketDestroyerLock) {
            return socketDestroyer != null;
        }
    }

    private static byte[] objectBytes(BpfObjectFile file) {
        String dir = System.getProperty(OBJECT_DIR_PROPERTY);
        if (dir == null) {
            return file.bytes();
        }
        Path path = Path.of(dir, file.baseName() + ".bpf.o");
        LOG.warn("loading {} from {}, not from the jar ({} is set)", file.baseName(), path, OBJECT_DIR_PROPERTY);
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(OBJECT_DIR_PROPERTY + ": cannot read " + path, e);
        }
    }

    /** Keeps {@code program} attached to {@code cgroup} through the link pinned at {@code pin}: swapped in place when it exists. */
    private static void attachThroughPinnedLink(BpfProgram program, Path cgroup, Path pin) {
        if (Files.exists(pin)) {
            try (BpfLink link = BpfLink.openPinned(pin)) {
                link.update(program);
                LOG.info("replaced {} in its pinned link {}", program.name(), pin);
            }
        } else {
            try (BpfLink link = program.attachCgroup(cgroup)) {
                link.pin(pin);
                LOG.info("attached {} to cgroup {} (link pinned at {})", program.name(), cgroup, pin);
            }
        }
    }

    /**
     * Attaches the pod programs to every pod interface of this network namespace not seen before (from_pod at
     * ingress, to_pod at egress), replacing a previous agent's filter at the same handle.
     *
     * @return the interfaces newly attached
     */
    public synchronized List<String> attachPodInterfaces() {
        List<String> attached = new ArrayList<>();
        try (NetworkNamespace here = NetworkNamespace.current()) {
            List<String> present = here.interfaceNames();
            attachedInterfaces.retainAll(present); // a pod veth that went away may come back under its name
            for (String ifname : present) {
                if (!ifname.startsWith(podInterfacePrefix) || attachedInterfaces.contains(ifname)) {
                    continue;
                }
                attach(pod.program("from_pod"), here, ifname, TcDirection.INGRESS);
                attach(pod.program("to_pod"), here, ifname, TcDirection.EGRESS);
                attachedInterfaces.add(ifname);
                attached.add(ifname);
            }
        }
        if (!attached.isEmpty()) {
            LOG.info("attached the pod programs to {}", attached);
        }
        return attached;
    }

    private static void attach(BpfProgram program, NetworkNamespace ns, String ifname, TcDirection direction) {
        TcFilter filter = program.attachTc(ns, ifname, direction, TC_HANDLE, TC_PRIORITY);
        filter.disown();
        filter.close();
    }

    /** Looks for new pod interfaces every {@code period} until closed. */
    public void watchPodInterfaces(Duration period) {
        interfaceWatch.scheduleWithFixedDelay(() -> {
            try {
                attachPodInterfaces();
            } catch (RuntimeException e) {
                LOG.warn("attaching the pod programs failed; retrying in {}", period, e);
            }
        }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The service maps (shared by both objects through their pins). Confined to the caller's thread. */
    public ServiceMaps serviceMaps() {
        return ServiceMaps.of(sock);
    }

    /**
     * Tells the data path this node's address (source of SNAT for external flows to remote backends) and the hairpin
     * address (source of a pod's flow to itself through a service). {@code 0.0.0.0} leaves one unset.
     */
    public void configureNode(Ipv4 nodeAddress, Ipv4 hairpinAddress) {
        try (NodeConfigMap config = NodeConfigMap.of(pod)) {
            config.put(new Node4Config(nodeAddress, hairpinAddress));
        }
    }

    /** The conntrack and affinity maps, for flushing the flows of a backend that goes. Used by one thread at a time. */
    public ConntrackMaps conntrackMaps() {
        return ConntrackMaps.of(pod);
    }

    /** The kernel counters. Confined to the caller's thread. */
    public DatapathCounters counters() {
        return DatapathCounters.of(pod);
    }

    /** Releases the objects; everything attached stays attached. */
    @Override
    public void close() {
        interfaceWatch.shutdownNow();
        synchronized (socketDestroyerLock) {
            socketDestroyerTried = true; // a load not begun yet never begins
            try (BpfObject s = sock; BpfObject p = pod; BpfObject d = sockDestroy; SocketDestroyer i = socketDestroyer) {
                LOG.debug("closing the BPF objects; programs stay attached");
            }
            socketDestroyer = null;
            sockDestroy = null;
        }
    }
}
