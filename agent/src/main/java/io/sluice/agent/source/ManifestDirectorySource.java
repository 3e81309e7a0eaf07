package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.agrona.collections.LongArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Objects from a directory of Kubernetes YAML or JSON files (multi-document YAML allowed), the agent's source when
 * there is no cluster. The directory is watched ({@link WatchService}) and also compared every poll interval, which
 * finds what notifications miss (symlink swaps of ConfigMap mounts, link targets elsewhere) and is all there is where
 * notifications do not work (network file systems).
 *
 * <p>Rules:
 * <ul>
 *   <li>Files are the directory's regular files named {@code *.yaml}, {@code *.yml} or {@code *.json} whose name
 *       does not start with a dot (editors' swap files, ConfigMap mounts' {@code ..data}); sub-directories are not
 *       read.</li>
 *   <li>A malformed file (YAML syntax, a field of the wrong type, an object without a name) is reported with file,
 *       line and reason and skipped whole; the other files apply. A file that becomes malformed keeps its last good
 *       objects until it is fixed or deleted, so a half-saved edit never removes services.</li>
 *   <li>Kinds the agent does not watch (Deployments, ConfigMaps, ...) are ignored.</li>
 *   <li>An object defined in two files is taken from the first file in name order; the other is reported.</li>
 *   <li>A namespaced object without a namespace goes to {@code default}.</li>
 *   <li>Like an API server, the source gives each object version its own {@code metadata.resourceVersion}; a
 *       rescan that finds an object unchanged keeps its version, so the writer sees no change.</li>
 * </ul>
 *
 * <p>A scan costs what changed: each file's parsed objects are kept, and only the objects of files that changed,
 * appeared or disappeared are re-derived and published. When notifications name the changed files (no overflow),
 * only those are looked at; after an overflow, or every poll interval without notifications, the scanner compares every
 * file's attributes. With notifications, the periodic comparison runs on a sweep thread below the scanner in priority
 * and hands the files whose attributes differ to the scanner as if they had been notified (see {@link #sweep}).
 *
 * <p>Notifications are taken by a thread of their own, which only stamps each file with the time its change reached
 * the agent; that stamp is the start of the event's latency (the agent's {@code sluice_event_to_map_latency_seconds}),
 * so time spent waiting for the scanner and parsing is counted. A file replaced by a rename over it (the way tools
 * should write, and what a ConfigMap mount does) is complete when notified and is read at once; a file written in
 * place, or created, is read once {@value #DEBOUNCE_MILLIS} ms passed without another notification for it (at most
 * {@value #MAX_DEBOUNCE_MILLIS} ms after the first), so a half-written file is not read.
 *
 * <p>A scan publishes as it reads: a later scan of few files publishes each file's changes as soon as it is parsed,
 * one of many (after an overflow, say) every {@value #LATER_SCAN_CHUNK} files parsed on every core, and the first
 * scan every {@value #FIRST_SCAN_CHUNK} files, so the writer programs one part while the next parses. Deletions wait
 * for the end of the scan, since a file read later may define the object again, and a scan defers the deletion of a
 * file that is gone while other notified files still settle (at most {@value #MAX_DEBOUNCE_MILLIS} ms): an object
 * moved between two files, or a file renamed, is never deleted on the way.
 *
 * <p>Threads: one watch thread stamps notifications; one sweep thread (with notifications) compares attributes every
 * poll interval; one scanner thread reads the directory and publishes;
 * {@link #snapshot}, {@link #synced} and {@link #problems()} read what it published and are safe from any thread.
 */
public final class ManifestDirectorySource implements ResourceSource {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestDirectorySource.class);
    /**
     * A file written in place (or created) is read once this long passed without another notification for it, so an
     * editor's burst is read once and a half-written file not at all.
     */
    static final long DEBOUNCE_MILLIS = 30;
    /** However often a file keeps being notified, it is read this long after its first notification. */
    static final long MAX_DEBOUNCE_MILLIS = 500;
    /** A scan with at least this many changed files parses them in parallel; fewer are not worth the hand-off. */
    static final int PARALLEL_READ_THRESHOLD = 64;
    /**
     * Files per published chunk of a later scan of many files (after an overflow, or a poll that found many
     * changed): enough for a parallel parse to pay (chunks of 16 parsed on both cores, each waiting for its slowest
     * file, kept a busy machine's scanner from keeping up with 1,000 files/s).
     */
    static final int LATER_SCAN_CHUNK = PARALLEL_READ_THRESHOLD;
    /** Files per published chunk of a first scan (see {@link #scan}). */
    static final int FIRST_SCAN_CHUNK = 500;
    /**
     * How a scan's files parse: one by one on the scanner thread; on every core below the writer (the first scan,
     * which the writer programs while the rest parses); or on every core at the writer's priority (a later scan that
     * fell behind: its parse is part of each event's latency, and at nice 5 on a busy machine it fell further behind).
     */
    private enum Parallel { NO, BELOW_WRITER, AT_WRITER }

    /**
     * Jackson's YAML parser, for locating problems in a document that did not bind; made at its first use (a holder
     * class): Jackson's first mapper costs a start ~0.2 s of CPU on its critical path, and a folder of well-formed
     * Services and EndpointSlices ({@link CompactServiceBinder}) never needs it.
     */
    private static final class Yaml {
        static final YAMLMapper MAPPER = new YAMLMapper();
    }

    /** The binder of the documents {@link CompactServiceBinder} leaves, made at the first of them, as {@link Yaml} is. */
    private static final class Binder {
        static final ManifestDocumentBinder INSTANCE = new ManifestDocumentBinder();
    }

    /** One object as read from a file. */
    private record Parsed(Path file, int line, ObjectKey key, HasMetadata object) {
    }

    /**
     * What the scanner knows of one file; {@code objects} is its last good content (null if it never had one).
     * {@code racy}: modified less than {@value #RACY_MILLIS} ms before its attributes were read, so a rewrite within
     * the same file-system timestamp (with a recycled inode and the same size) would look unchanged: such a file is
     * read again by the next comparison of attributes, whatever they say. {@code documents}: what {@code objects}
     * were parsed from, document by document (see {@link DocumentIndex}; null if the file never had good content).
     */
    private record FileState(FileTime modified, long size, Object fileKey, List<Parsed> objects, ManifestProblem problem,
                             boolean racy, long[] documents) {
        /** Whether {@code attrs} name the file this state was read from, as it was: same inode, size and time. */
        boolean sameAttributes(BasicFileAttributes attrs) {
            return modified.equals(attrs.lastModifiedTime()) && size == attrs.size()
                    && Objects.equals(fileKey, attrs.fileKey());
        }
    }

    /** Above the coarsest timestamp step of the file systems a manifest folder lives on (jiffies: 4-10 ms). */
    static final long RACY_MILLIS = 50;

    private final Path directory;
    private final Duration pollInterval;
    private final boolean watch;
    private final AgentMetrics metrics;
    private final Set<ResourceKind> kinds = Collections.unmodifiableSet(EnumSet.allOf(ResourceKind.class));

    /** Each file's state: written by the scanner thread only, read by it and by the sweep thread. */
    private final Map<Path, FileState> files = new ConcurrentHashMap<>();
    // Scanner thread only.
    /** Every definition of each object, in precedence order (file name, then line): the first one applies. */
    private final Map<ObjectKey, List<Parsed>> definitions = new HashMap<>();
    /** Objects defined more than once, and files with a problem: what {@link #problems} is composed of. */
    private final Set<ObjectKey> contested = new HashSet<>();
    private final Set<Path> filesWithProblems = new HashSet<>();
    private long version;
    /** Objects the current scan published as changed and as deleted, for its log line. */
    private int scanUpserts;
    private int scanDeletes;
    private EventChannel channel;
    private volatile WatchService watcher;

    /** A notified file not read since: when its change reached the agent, when it was last notified, and how. */
    private static final class Notified {
        final long firstNanos;
        long lastNanos;
        /** Only renamed-over or created ({@code ENTRY_CREATE}) since its first notification; no write in place. */
        boolean createdOnly = true;

        Notified(long nanos) {
            this.firstNanos = nanos;
            this.lastNanos = nanos;
        }
    }

    /** Files notified and not yet taken by the scanner; the watch thread adds, the scanner takes, under the lock. */
    private final Map<Path, Notified> notified = new HashMap<>();
    /** When notifications last overflowed and the scanner has not yet compared every file (0: not since). */
    private long overflowNanos;
    /** The sweep could not list the directory: the scanner compares every file (and reports why). */
    private boolean comparisonRequested;
    /**
     * Whether the comparison {@link #awaitChange} last asked for follows an overflow: only then (or without a watcher)
     * may a change have come without a notification, so only then are files read while their timestamp was recent
     * read again. Scanner thread only.
     */
    private boolean overflowBeforeComparison;
    /**
     * Files found gone while other notified files were still settling, with when their change reached the agent:
     * deleted by the scan that reads those (a rename's new name may be one of them). Scanner thread only.
     */
    private final Map<Path, Long> heldDeletions = new HashMap<>();
    private Thread watchThread;
    private Thread sweepThread;

    /** The published objects; written by the scanner, read by {@link #snapshot}, both under the lock. */
    private final Map<ObjectKey, HasMetadata> current = new HashMap<>();
    /** Per kind, the list {@link #snapshot} last built; dropped when an object of that kind changes. */
    private final EnumMap<ResourceKind, List<HasMetadata>> snapshots = new EnumMap<>(ResourceKind.class);
    private volatile List<ManifestProblem> problems = List.of();
    private volatile boolean synced;
    private volatile boolean running;
    private volatile long scans;
    private Thread thread;
    /** Parses the first scan on every core, below the writer in priority; made at {@link #start}. */
    private ForkJoinPool parsePool;

    /** A source over {@code directory}, rescanned every {@code pollInterval} and on change notifications. */
    public ManifestDirectorySource(Path directory, Duration pollInterval, AgentMetrics metrics) {
        this(directory, pollInterval, metrics, true);
    }

    /** As above; {@code watch} false relies on polling alone (tests of the fallback). */
    ManifestDirectorySource(Path directory, Duration pollInterval, AgentMetrics metrics, boolean watch) {
        this.directory = directory;
        this.pollInterval = pollInterval;
        this.metrics = metrics;
        this.watch = watch;
    }

    @Override
    public String name() {
        return "manifests";
    }

    @Override
    public Set<ResourceKind> kinds() {
        return kinds;
    }

    @Override
    public synchronized void start(EventChannel channel) {
        if (thread != null) {
            throw new IllegalStateException("ManifestDirectorySource already started");
        }
        this.channel = channel;
        try {
            if (!watch) {
                throw new UnsupportedOperationException("change notifications turned off");
            }
            watcher = directory.getFileSystem().newWatchService();
            directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.info("no change notifications for {} ({}); polling every {}", directory, e, pollInterval);
            closeWatcher();
        }
        running = true;
        parsePool = BackgroundPriority.parsePool("sluice-manifest-parse", Runtime.getRuntime().availableProcessors());
        if (watcher != null) {
            watchThread = Thread.ofPlatform().name("sluice-manifest-watch").daemon().start(this::watch);
        }
        thread = Thread.ofPlatform().name("sluice-manifests").daemon().start(this::run);
    }

    /**
     * The watch thread: stamps each notified manifest file with the time its notification reached the agent (kept
     * until the scanner takes the file, so the first change counts) and wakes the scanner.
     */
    private void watch() {
        WatchService w = watcher;
        while (running) {
            WatchKey key;
            try {
                key = w.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            long now = System.nanoTime();
            synchronized (notified) {
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        if (overflowNanos == 0) {
                            overflowNanos = now;
                        }
                    } else if (event.context() instanceof Path name && isManifestName(name)) {
                        Path path = directory.resolve(name);
                        Notified n = notified.get(path);
                        if (n == null) {
                            n = new Notified(now);
                            notified.put(path, n);
                        }
                        n.lastNanos = now;
                        n.createdOnly &= event.kind() == StandardWatchEventKinds.ENTRY_CREATE;
                    }
                }
                notified.notifyAll();
            }
            key.reset();
        }
    }

    /**
     * The scanner thread. It keeps the writer's priority: a later scan parses its few files here, and that parse is
     * part of each event's latency (at nice 5 on a busy machine it fell seconds behind 1,000 files/s). The first
     * scan parses in the pool, below the writer.
     */
    private void run() {
        scan(Map.of(), true, true, System.nanoTime());
        synced = true;
        synchronized (this) {
            if (watcher != null && running) {
                sweepThread = Thread.ofPlatform().name("sluice-manifest-sweep").daemon().start(this::sweep);
            }
        }
        while (running) {
            Map<Path, Long> touched = new HashMap<>();
            boolean full;
            try {
                full = awaitChange(touched);
            } catch (InterruptedException e) {
                break;
            }
            if (running) {
                scan(touched, full, watcher == null || overflowBeforeComparison, System.nanoTime());
            }
        }
    }

    /**
     * The sweep thread, with notifications only: every poll interval it compares each file's inode, size and
     * modification time with what the scanner last read ({@link #sweepOnce}). It runs below the scanner and the
     * writer (nice {@value BackgroundPriority#NICE}) because it is the fallback: done on the scanner thread, the
     * comparison of 10,000 files was a 0.2-0.3 s burst every poll that each notified change queued behind.
     */
    private void sweep() {
        BackgroundPriority.lowerCurrentThread();
        while (running) {
            try {
                Thread.sleep(pollInterval);
            } catch (InterruptedException e) {
                return;
            }
            sweepOnce();
        }
    }

    /**
     * One comparison of every manifest file's attributes with the scanner's file states. A file whose attributes
     * differ, that is new, or that is gone is handed to the scanner as notified (read once quiet for
     * {@value #DEBOUNCE_MILLIS} ms, like a write in place); a file already notified is left as it is. This finds what
     * notifications miss: a ConfigMap mount's files change by a swap of its {@code ..data} symlink, notified under
     * that hidden name only, and links may point outside the folder. A spurious finding (a file the scanner is
     * reading right now) costs one read that publishes nothing. Sweep thread.
     */
    private void sweepOnce() {
        List<Path> found = new ArrayList<>();
        // Known files listed, counted rather than collected: a set of every listed path lived as long as the
        // listing (0.2-0.3 s, longer under load) and was carried into the old generation every poll, ~1.5 MB at
        // 10,000 files. Each path now dies as soon as it is compared.
        int knownListed = 0;
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(directory)) {
            for (Path path : listing) {
                if (!isManifestName(path.getFileName())) {
                    continue;
                }
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(path, BasicFileAttributes.class); // follows links, as reading does
                } catch (IOException e) {
                    continue; // gone since listed, or a dangling link: not a manifest file, as for the scanner
                }
                if (!attrs.isRegularFile()) {
                    continue;
                }
                FileState known = files.get(path);
                if (known != null) {
                    knownListed++;
                }
                if (known == null || !known.sameAttributes(attrs)) {
                    found.add(path);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // The scanner's own comparison keeps what was applied and reports the directory as unreadable.
            synchronized (notified) {
                comparisonRequested = true;
                notified.notifyAll();
            }
            return;
        }
        if (knownListed < files.size()) {
            // A known file was not listed (gone, or no regular file any more), or the scanner read a new one meanwhile.
            for (Path path : files.keySet()) {
                if (!Files.isRegularFile(path)) {
                    found.add(path);
                }
            }
        }
        if (found.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        synchronized (notified) {
            for (Path path : found) {
                Notified n = new Notified(now);
                n.createdOnly = false;
                notified.putIfAbsent(path, n);
            }
            notified.notifyAll();
        }
    }

    /**
     * Blocks until notified files are ready to read or the poll interval has passed, and takes the ready files into
     * {@code touched}, each with the time its change reached the agent. A file is ready at once when it was only
     * renamed over (an existing file notified as created: the new content is complete), else once it has been quiet
     * for {@value #DEBOUNCE_MILLIS} ms or was first notified {@value #MAX_DEBOUNCE_MILLIS} ms ago. After an overflow
     * some changes are not named: the scan then finds them as polling does, by comparing each file's inode, size and
     * modification time (re-parsing every file instead made a busy folder's overflows cost a full re-read of 10,000
     * files each). The periodic comparison is the sweep thread's ({@link #sweep}), whose findings arrive here as
     * notifications. Scanner thread only.
     *
     * @return true when the scan must compare every file's attributes (overflow, the sweep could not list the
     *         directory, or no notifications)
     */
    private boolean awaitChange(Map<Path, Long> touched) throws InterruptedException {
        if (watcher == null) {
            Thread.sleep(pollInterval.toMillis());
            return true;
        }
        long debounce = TimeUnit.MILLISECONDS.toNanos(DEBOUNCE_MILLIS);
        long maxDebounce = TimeUnit.MILLISECONDS.toNanos(MAX_DEBOUNCE_MILLIS);
        synchronized (notified) {
            while (true) {
                long now = System.nanoTime();
                boolean full = overflowNanos != 0 || comparisonRequested;
                long wakeAt = now + pollInterval.toNanos();
                for (Iterator<Map.Entry<Path, Notified>> it = notified.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<Path, Notified> e = it.next();
                    Notified n = e.getValue();
                    long readyAt = n.createdOnly && files.containsKey(e.getKey())
                            ? n.firstNanos
                            : Math.min(n.lastNanos + debounce, n.firstNanos + maxDebounce);
                    if (full || now - readyAt >= 0) {
                        touched.put(e.getKey(), n.firstNanos);
                        it.remove();
                    } else if (readyAt - wakeAt < 0) {
                        wakeAt = readyAt;
                    }
                }
                if (!heldDeletions.isEmpty()) {
                    long oldest = Long.MAX_VALUE;
                    for (long since : heldDeletions.values()) {
                        oldest = Math.min(oldest, since);
                    }
                    if (full || notified.isEmpty() || now - (oldest + maxDebounce) >= 0) {
                        heldDeletions.forEach((path, since) -> touched.merge(path, since, Math::min));
                        heldDeletions.clear();
                    } else if (oldest + maxDebounce - wakeAt < 0) {
                        wakeAt = oldest + maxDebounce;
                    }
                }
                if (full) {
                    overflowBeforeComparison = overflowNanos != 0;
                    comparisonRequested = false;
                    if (overflowNanos != 0) {
                        LOG.info("change notifications for {} overflowed; comparing every file's attributes", directory);
                        overflowNanos = 0;
                    }
                    return true;
                }
                if (!touched.isEmpty()) {
                    return false;
                }
                long waitNanos = Math.max(wakeAt - now, 100_000);
                notified.wait(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
            }
        }
    }

    /**
     * Rereads the files in {@code touched} and, when {@code full}, those whose inode, size or modification time
     * changed, and publishes the difference. Without {@code full} only the touched files are looked at: a touched
     * file that is gone (or no longer a manifest file) is deleted. Each event carries the time its file's change
     * reached the agent: the notification's stamp in {@code touched}, else {@code scanNanos}. With
     * {@code rereadRacy} a comparison also rereads the files read while their timestamp was recent: needed when a
     * change may have come without a notification (no watcher, or an overflow). With notifications complete a rewrite
     * is always notified, and rereading them made each 2 s poll during 1,000 renames/s re-parse the ~2,000 files read
     * since the last one (a burst of ~1 s that every notified change queued behind). Scanner thread only.
     */
    private void scan(Map<Path, Long> touched, boolean full, boolean rereadRacy, long scanNanos) {
        long wallMillis = System.currentTimeMillis(); // before any attribute is read: see FileState.racy
        // The manifest files by name; whether each is a regular file comes with the attributes read below (one stat
        // per file: a stat for the name filter and another for the attributes were 20,000 before a first parse).
        List<Path> paths;
        Set<Path> gone = new HashSet<>();
        if (full) {
            try (Stream<Path> listing = Files.list(directory)) {
                paths = listing.filter(path -> isManifestName(path.getFileName())).sorted().toList();
            } catch (IOException e) {
                // The directory is gone or unreadable: keep what was applied rather than delete every object.
                LOG.warn("cannot list {}: {}; keeping the objects read so far", directory, e.toString());
                problems = List.of(new ManifestProblem(directory, 0, "cannot list the directory: " + e));
                scans++;
                return;
            }
        } else {
            List<Path> present = new ArrayList<>();
            for (Path path : touched.keySet()) {
                if (isManifestName(path.getFileName())) {
                    present.add(path);
                } else if (files.containsKey(path)) {
                    gone.add(path);
                }
            }
            present.sort(null);
            paths = present;
        }
        Set<Path> regular = full ? new HashSet<>() : null;
        List<Path> changed = new ArrayList<>();
        List<BasicFileAttributes> changedAttrs = new ArrayList<>();
        for (Path path : paths) {
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(path, BasicFileAttributes.class);
            } catch (IOException e) {
                attrs = null; // deleted since the listing or the notification
            }
            if (attrs == null || !attrs.isRegularFile()) {
                if (!full && files.containsKey(path)) {
                    gone.add(path);
                }
                continue;
            }
            if (full) {
                regular.add(path);
            }
            FileState previous = files.get(path);
            if (previous != null && !(rereadRacy && previous.racy()) && !touched.containsKey(path)
                    && previous.sameAttributes(attrs)) {
                continue;
            }
            changed.add(path);
            changedAttrs.add(attrs);
        }
        if (full) {
            for (Path path : files.keySet()) {
                if (!regular.contains(path)) {
                    gone.add(path);
                }
            }
        }
        long[] noticed = new long[changed.size()];
        for (int i = 0; i < noticed.length; i++) {
            noticed[i] = touched.getOrDefault(changed.get(i), scanNanos);
        }
        // The first scan (one that starts from nothing) publishes in large chunks: a file not read yet has no state,
        // so no object is deleted early, and the snapshot counts as synced only once the whole folder is read. A
        // later scan of a few files publishes each as soon as it is parsed: an event waits for no other file.
        boolean parallel = changed.size() >= PARALLEL_READ_THRESHOLD;
        boolean first = files.isEmpty();
        int chunk = first ? FIRST_SCAN_CHUNK : parallel ? LATER_SCAN_CHUNK : 1;
        Map<ObjectKey, Long> affected = new LinkedHashMap<>();
        Map<ObjectKey, Long> deletionsHeld = new LinkedHashMap<>();
        for (int from = 0; from < changed.size(); from += chunk) {
            int to = (int) Math.min(changed.size(), (long) from + chunk);
            readAll(changed.subList(from, to), changedAttrs.subList(from, to), noticed, from,
                    parallel ? (first ? Parallel.BELOW_WRITER : Parallel.AT_WRITER) : Parallel.NO, affected, wallMillis);
            if (to < changed.size()) {
                publish(affected, deletionsHeld);
                affected.clear();
            }
        }
        if (!gone.isEmpty() && !full && notifiedFilesSettling()) {
            // A file still settling may be a rename's new name: delete once it is read (at most a debounce later).
            for (Path path : gone) {
                heldDeletions.merge(path, touched.getOrDefault(path, scanNanos), Math::min);
            }
            gone.clear();
        }
        for (Path path : gone.stream().sorted().toList()) {
            FileState previous = files.remove(path);
            replaceDefinitions(path, previous.objects(), null, affected, touched.getOrDefault(path, scanNanos));
            filesWithProblems.remove(path);
        }
        deletionsHeld.forEach((key, since) -> affected.merge(key, since, Math::min));
        publish(affected, null);
        problems = composeProblems();
        if (scanUpserts > 0 || scanDeletes > 0) {
            LOG.debug("manifests in {}: {} objects changed, {} deleted", directory, scanUpserts, scanDeletes);
            scanUpserts = 0;
            scanDeletes = 0;
        }
        scans++;
    }

    /** Whether notified files wait to be read (written in place and not yet quiet). Scanner thread only. */
    private boolean notifiedFilesSettling() {
        synchronized (notified) {
            return !notified.isEmpty();
        }
    }

    /**
     * Reads {@code changed} into the file states, as {@code parallel} says, collecting the keys whose
     * definitions changed with the earliest time a change to them reached the agent ({@code noticed}, indexed from
     * {@code noticedFrom}). Scanner thread only.
     */
    private void readAll(List<Path> changed, List<BasicFileAttributes> changedAttrs, long[] noticed, int noticedFrom,
                         Parallel parallel, Map<ObjectKey, Long> affected, long wallMillis) {
        FileState[] read = new FileState[changed.size()];
        // Files parse independently. read() only reads the scanner's maps, which nothing changes until the parallel
        // part has finished.
        Runnable readEach = () -> IntStream.range(0, read.length).parallel()
                .forEach(i -> read[i] = read(changed.get(i), changedAttrs.get(i), files.get(changed.get(i)), wallMillis));
        if (parallel == Parallel.BELOW_WRITER && parsePool != null) {
            parsePool.submit(readEach).join(); // a parallel stream started inside a pool's task runs in that pool
        } else if (parallel != Parallel.NO) {
            readEach.run(); // the common pool and this thread, at the writer's priority
        } else {
            for (int i = 0; i < read.length; i++) {
                read[i] = read(changed.get(i), changedAttrs.get(i), files.get(changed.get(i)), wallMillis);
            }
        }
        for (int i = 0; i < read.length; i++) {
            Path path = changed.get(i);
            FileState previous = files.put(path, read[i]);
            replaceDefinitions(path, previous == null ? null : previous.objects(), read[i].objects(), affected,
                    noticed[noticedFrom + i]);
            if (read[i].problem() != null) {
                filesWithProblems.add(path);
            } else {
                filesWithProblems.remove(path);
            }
        }
    }

    /** Replaces {@code path}'s definitions {@code before} with {@code after} (either may be null). Scanner thread only. */
    private void replaceDefinitions(Path path, List<Parsed> before, List<Parsed> after, Map<ObjectKey, Long> affected,
                                    long noticed) {
        if (before == after) {
            return; // a file that became malformed keeps its last good objects
        }
        // A key left without definitions keeps its (empty) list until the new ones are in: an object the file still
        // defines keeps its list and map entry, which, made again for every rewrite, were carried into the old generation.
        boolean emptied = false;
        if (before != null) {
            for (Parsed p : before) {
                List<Parsed> defs = definitions.get(p.key());
                defs.removeIf(d -> d == p);
                emptied |= defs.isEmpty();
                affected.merge(p.key(), noticed, Math::min);
            }
        }
        if (after != null) {
            for (Parsed p : after) {
                List<Parsed> defs = definitions.computeIfAbsent(p.key(), k -> new ArrayList<>(1));
                int at = 0;
                while (at < defs.size() && precedes(defs.get(at), p)) {
                    at++;
                }
                defs.add(at, p);
                affected.merge(p.key(), noticed, Math::min);
            }
        }
        if (emptied) {
            for (Parsed p : before) {
                definitions.computeIfPresent(p.key(), (key, defs) -> defs.isEmpty() ? null : defs);
            }
        }
    }

    /** Whether {@code a} takes precedence over {@code b}: an earlier file name, or an earlier line of the same file. */
    private static boolean precedes(Parsed a, Parsed b) {
        int byFile = a.file().compareTo(b.file());
        return byFile < 0 || (byFile == 0 && a.line() <= b.line());
    }

    /** Whether a file of this name is read (whatever it is): not hidden, named *.yaml, *.yml or *.json. */
    private static boolean isManifestName(Path fileName) {
        String name = fileName.toString();
        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"));
    }

    /** Whether {@code attrs}, read after wall-clock time {@code wallMillis}, say the file was modified too recently. */
    private static boolean isRacy(BasicFileAttributes attrs, long wallMillis) {
        return attrs.lastModifiedTime().toMillis() >= wallMillis - RACY_MILLIS;
    }

    /**
     * Reads {@code path} document by document. A document whose text is that of one of the file's documents last
     * read is not parsed again: its objects are taken from there (a rewritten file usually changes one document of
     * several; the parse is most of the agent's CPU while a folder churns).
     */
    private FileState read(Path path, BasicFileAttributes attrs, FileState previous, long wallMillis) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            return refuse(path, attrs, previous, new ManifestProblem(path, 0, "cannot be read: " + e), wallMillis);
        }
        // The Path the file's objects were recorded under before: a notification names the file with a new one each
        // time, which the new records would carry into the old generation.
        List<Parsed> known = previous == null ? null : previous.objects();
        if (known != null && !known.isEmpty() && known.getFirst().file().equals(path)) {
            path = known.getFirst().file();
        }
        List<Parsed> objects = new ArrayList<>();
        DocumentIndex documents = new DocumentIndex();
        byte[] ascii = asciiOf(text);
        int length = text.length();
        int docFrom = 0;
        int docLine = 1;
        // The next line feed and carriage return at or after the line's start (-1: none left), each found with one
        // search over the text: two charAt calls per character were a thirtieth of a parse thread's CPU.
        int nextLf = text.indexOf('\n');
        int nextCr = text.indexOf('\r');
        for (int at = 0, line = 1; ; line++) {
            if (nextLf >= 0 && nextLf < at) {
                nextLf = text.indexOf('\n', at);
            }
            if (nextCr >= 0 && nextCr < at) {
                nextCr = text.indexOf('\r', at);
            }
            int lineEnd = nextLf < 0 ? (nextCr < 0 ? length : nextCr) : (nextCr < 0 ? nextLf : Math.min(nextLf, nextCr));
            boolean separator = isDocumentSeparator(text, at, lineEnd);
            boolean last = lineEnd >= length;
            if (separator || last) {
                ManifestProblem problem = readDocument(path, text, ascii, docFrom, separator ? at : length, docLine,
                        previous, documents, objects);
                if (problem != null) {
                    return refuse(path, attrs, previous, problem, wallMillis);
                }
            }
            if (last) {
                break;
            }
            at = lineEnd + (text.charAt(lineEnd) == '\r' && lineEnd + 1 < length && text.charAt(lineEnd + 1) == '\n' ? 2 : 1);
            if (separator) {
                docFrom = at;
                docLine = line + 1;
            }
        }
        return new FileState(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey(), reuseUnchanged(objects), null,
                isRacy(attrs, wallMillis), documents.toArray());
    }

    /**
     * {@code text} in bytes when it is all ASCII (a byte a character, so a document's bytes are where its characters
     * are: parsed from there, without a String and a byte copy of each document), else null.
     */
    private static byte[] asciiOf(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        return utf8.length == text.length() ? utf8 : null;
    }

    /**
     * Adds the objects of the document {@code text[from, to)} ({@code ascii}: the text's bytes if it is all ASCII, else
     * null), starting at line {@code firstLine}, to {@code out}: those of the same text in {@code previous}, else
     * parsed. Returns the document's problem, if any.
     */
    private ManifestProblem readDocument(Path path, String text, byte[] ascii, int from, int to, int firstLine,
                                         FileState previous, DocumentIndex documents, List<Parsed> out) {
        int contentLine = contentLine(text, from, to, firstLine);
        if (contentLine < 0) {
            return null; // an empty document
        }
        long[] hashes = DocumentIndex.hashes(text, from, to);
        long hash = hashes[0];
        long check = hashes[1];
        long[] before = previous == null ? null : previous.documents();
        int same = DocumentIndex.find(before, hash, check, documents.size());
        documents.add(hash, check, firstLine, out.size());
        if (same < 0) {
            return parseDocument(path, text, ascii, from, to, firstLine, contentLine, out);
        }
        List<Parsed> lastGood = previous.objects();
        int shift = firstLine - DocumentIndex.firstLine(before, same);
        int end = DocumentIndex.objectsEnd(before, same, lastGood.size());
        for (int i = DocumentIndex.objectsFrom(before, same); i < end; i++) {
            Parsed p = lastGood.get(i);
            out.add(shift == 0 ? p : new Parsed(path, p.line() + shift, p.key(), p.object()));
        }
        return null;
    }

    /** The first line of {@code text[from, to)} that is neither blank nor a comment, or -1. */
    private static int contentLine(String text, int from, int to, int firstLine) {
        int line = firstLine;
        boolean blank = true;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                if (c == '\n' || i + 1 >= to || text.charAt(i + 1) != '\n') {
                    line++;
                }
                blank = true;
            } else if (blank && !Character.isWhitespace(c)) {
                if (c != '#') {
                    return line;
                }
                blank = false; // a comment: the rest of its line does not count
            }
        }
        return -1;
    }

    /**
     * Puts back the instance already published for each object that did not change, so that a rewritten file (one
     * endpoint moved) does not keep a second copy of every other object in it. Scanner thread only.
     */
    private List<Parsed> reuseUnchanged(List<Parsed> parsed) {
        List<Parsed> result = new ArrayList<>(parsed.size());
        for (Parsed p : parsed) {
            HasMetadata previous = current.get(p.key());
            ObjectMeta meta = p.object().getMetadata();
            if (previous != null && previous != p.object()) {
                String version = meta.getResourceVersion();
                meta.setResourceVersion(previous.getMetadata().getResourceVersion());
                if (p.object().equals(previous)) {
                    result.add(new Parsed(p.file(), p.line(), p.key(), previous));
                    continue;
                }
                meta.setResourceVersion(version);
            }
            result.add(p);
        }
        return List.copyOf(result);
    }

    /** The state of a file refused with {@code problem}: it keeps {@code previous}'s good content, if any. */
    private FileState refuse(Path path, BasicFileAttributes attrs, FileState previous, ManifestProblem problem,
                             long wallMillis) {
        List<Parsed> lastGood = previous == null ? null : previous.objects();
        LOG.warn("skipping manifest {}{}", problem,
                lastGood == null ? "" : " (keeping its last good " + lastGood.size() + " objects)");
        metrics.objectRefused("manifest", "malformed");
        return new FileState(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey(), lastGood, problem,
                isRacy(attrs, wallMillis), previous == null ? null : previous.documents());
    }

    /** Whether the line {@code text[from, to)} starts a new YAML document ({@code ---}, alone or before content). */
    private static boolean isDocumentSeparator(String text, int from, int to) {
        return to - from >= 3 && text.charAt(from) == '-' && text.startsWith("---", from)
                && (to - from == 3 || Character.isWhitespace(text.charAt(from + 3)));
    }

    /**
     * Parses the YAML document {@code text[from, to)} ({@code ascii}: as in {@link #readDocument}) starting at line
     * {@code firstLine}, its first content at {@code contentLine}, adding its objects; returns its problem, if any.
     */
    private ManifestProblem parseDocument(Path path, String text, byte[] ascii, int from, int to, int firstLine,
                                          int contentLine, List<Parsed> out) {
        // Services and EndpointSlices of the usual shape come bound and compact already; the rest take the binder.
        String document = ascii == null ? text.substring(from, to) : null;
        HasMetadata compact = document != null ? CompactServiceBinder.bind(document) : CompactServiceBinder.bind(ascii, from, to);
        if (compact == null && document == null) {
            document = text.substring(from, to);
        }
        List<?> items;
        try {
            items = compact != null ? List.of(compact) : Binder.INSTANCE.objectsOf(document);
        } catch (RuntimeException e) {
            return problemOf(path, document, firstLine, contentLine, e);
        }
        for (Object item : items) {
            if (!(item instanceof HasMetadata object)) {
                continue;
            }
            ResourceKind kind = ResourceKind.of(object);
            if (kind == null) {
                LOG.debug("{}:{}: ignoring {} {}: not a kind the agent watches", path, contentLine,
                        object.getApiVersion(), object.getKind());
                continue;
            }
            ObjectMeta meta = object.getMetadata();
            if (meta == null || meta.getName() == null || meta.getName().isBlank()) {
                return new ManifestProblem(path, contentLine, kind + " has no metadata.name");
            }
            if (kind.namespaced()) {
                if (meta.getNamespace() == null || meta.getNamespace().isBlank()) {
                    meta.setNamespace(ModelCompactor.sharedString("default"));
                }
            } else {
                meta.setNamespace(null);
            }
            // The published version's equal parts (an EndpointSlice's unmoved endpoints, its name) replace this one's,
            // so what this parse made for them dies young. current is only read here: the scanner publishes between
            // reads.
            HasMetadata published = current.get(ObjectKey.of(kind, object));
            ModelCompactor.shareUnchanged(object == compact ? object : ModelCompactor.compact(object), published);
            // The kept key is built again, from the shared name and namespace: the lookup's held this parse's copies.
            out.add(new Parsed(path, contentLine, ObjectKey.of(kind, object), object));
        }
        return null;
    }

    /** Where and why {@code document} (starting at {@code firstLine}) did not parse. */
    private static ManifestProblem problemOf(Path path, String document, int firstLine, int contentLine,
                                             RuntimeException e) {
        JacksonException mismatch = jacksonCause(e);
        if (mismatch != null && !mismatch.getPath().isEmpty()) {
            // A value that does not fit the model: fabric8 converted a tree without locations, so find the
            // field's line by walking the document along the exception's path.
            int line = lineOfPath(document, mismatch.getPath());
            return new ManifestProblem(path, line > 0 ? firstLine + line - 1 : contentLine,
                    fieldPath(mismatch.getPath()) + ": " + firstLine(mismatch.getOriginalMessage()));
        }
        // A syntax error: fabric8's YAML parser does not say where; Jackson's does.
        try {
            Yaml.MAPPER.readTree(document);
        } catch (JacksonException syntax) {
            TokenStreamLocation at = syntax.getLocation();
            int line = at != null && at.getLineNr() > 0 ? firstLine + at.getLineNr() - 1 : contentLine;
            return new ManifestProblem(path, line, "not valid YAML: " + yamlReason(syntax.getOriginalMessage()));
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage());
        return new ManifestProblem(path, contentLine, message);
    }

    private static JacksonException jacksonCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JacksonException j) {
                return j;
            }
        }
        return null;
    }

    /** {@code spec.ports[0].port} for a Jackson reference path. */
    private static String fieldPath(List<JacksonException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference ref : refs) {
            if (ref.getPropertyName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** The 1-based line of the value at {@code refs} in {@code document}, or of its deepest ancestor found. */
    private static int lineOfPath(String document, List<JacksonException.Reference> refs) {
        try (JsonParser parser = Yaml.MAPPER.createParser(document)) {
            if (parser.nextToken() == null) {
                return -1;
            }
            for (JacksonException.Reference ref : refs) {
                if (!descend(parser, ref)) {
                    break;
                }
            }
            return parser.currentTokenLocation().getLineNr();
        } catch (JacksonException e) {
            return -1;
        }
    }

    /** Moves {@code parser} from a container's start to the value {@code ref} names; false when absent. */
    private static boolean descend(JsonParser parser, JacksonException.Reference ref) {
        if (parser.currentToken() == JsonToken.START_OBJECT && ref.getPropertyName() != null) {
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals(ref.getPropertyName())) {
                    return true;
                }
                parser.skipChildren();
            }
        } else if (parser.currentToken() == JsonToken.START_ARRAY && ref.getIndex() >= 0) {
            int index = 0;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                if (index++ == ref.getIndex()) {
                    return true;
                }
                parser.skipChildren();
            }
        }
        return false;
    }

    /** The words of a YAML parser's message, without its snippet, caret and "in reader" lines. */
    private static String yamlReason(String message) {
        StringBuilder sb = new StringBuilder();
        for (String line : message.split("\n")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("in reader")) {
                sb.append(sb.isEmpty() ? "" : "; ").append(line.strip());
            }
        }
        return sb.isEmpty() ? firstLine(message) : sb.toString();
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    /**
     * Re-derives the objects of {@code affected} from their definitions, updates the snapshot, then publishes the
     * events for what changed, each stamped with the time its change reached the agent. Costs what changed, not what
     * the folder holds. An object left without a definition is deleted, or added to {@code deletionsHeld} when that
     * is not null (the scan has files left to read). Scanner thread only.
     */
    private void publish(Map<ObjectKey, Long> affected, Map<ObjectKey, Long> deletionsHeld) {
        List<HasMetadata> upserts = new ArrayList<>();
        List<HasMetadata> deletes = new ArrayList<>();
        LongArrayList upsertNoticed = new LongArrayList();
        LongArrayList deleteNoticed = new LongArrayList();
        // The snapshot first: an event the queue drops must be in the snapshot the writer then reads.
        synchronized (current) {
            for (ObjectKey key : affected.keySet()) {
                List<Parsed> defs = definitions.get(key);
                if (defs != null && defs.size() > 1) {
                    contested.add(key);
                } else {
                    contested.remove(key);
                }
                HasMetadata previous = current.get(key);
                if (defs == null) {
                    if (deletionsHeld != null) {
                        deletionsHeld.merge(key, affected.get(key), Math::min);
                    } else if (previous != null) {
                        current.remove(key);
                        snapshots.remove(key.kind());
                        deletes.add(previous);
                        deleteNoticed.addLong(affected.get(key));
                    }
                    continue;
                }
                HasMetadata object = defs.getFirst().object();
                if (previous == object) {
                    continue;
                }
                if (previous != null) {
                    object.getMetadata().setResourceVersion(previous.getMetadata().getResourceVersion());
                }
                if (!object.equals(previous)) {
                    object.getMetadata().setResourceVersion(Long.toString(++version));
                    upserts.add(object);
                    upsertNoticed.addLong(affected.get(key));
                    current.put(key, object);
                    snapshots.remove(key.kind());
                }
            }
        }
        for (int i = 0; i < upserts.size(); i++) {
            HasMetadata object = upserts.get(i);
            channel.publish(ResourceKind.of(object), false, object, upsertNoticed.getLong(i));
        }
        for (int i = 0; i < deletes.size(); i++) {
            HasMetadata object = deletes.get(i);
            channel.publish(ResourceKind.of(object), true, object, deleteNoticed.getLong(i));
        }
        scanUpserts += upserts.size();
        scanDeletes += deletes.size();
    }

    /** The malformed files' problems and the ignored duplicate definitions, by file and line. Scanner thread only. */
    private List<ManifestProblem> composeProblems() {
        if (filesWithProblems.isEmpty() && contested.isEmpty()) {
            return List.of();
        }
        List<ManifestProblem> found = new ArrayList<>();
        for (Path path : filesWithProblems) {
            found.add(files.get(path).problem());
        }
        for (ObjectKey key : contested) {
            List<Parsed> defs = definitions.get(key);
            Parsed first = defs.getFirst();
            for (Parsed p : defs.subList(1, defs.size())) {
                found.add(new ManifestProblem(p.file(), p.line(), p.key() + " is already defined at "
                        + first.file() + ":" + first.line() + "; this one is ignored"));
            }
        }
        found.sort(Comparator.comparing(ManifestProblem::file).thenComparingInt(ManifestProblem::line));
        return List.copyOf(found);
    }

    /**
     * One scan on the caller's thread, for tests that drive the source step by step instead of {@link #start}ing
     * it: {@code touched} are the files notified as changed, {@code full} compares every file's attributes too.
     */
    void scanOnce(EventChannel channel, Set<Path> touched, boolean full) {
        long now = System.nanoTime();
        Map<Path, Long> stamped = new HashMap<>();
        touched.forEach(path -> stamped.put(path, now));
        scanOnce(channel, stamped, full, now);
    }

    /** As above, with the time each touched file's notification reached the agent, and the scan's own time. */
    void scanOnce(EventChannel channel, Map<Path, Long> touched, boolean full, long scanNanos) {
        if (thread != null) {
            throw new IllegalStateException("ManifestDirectorySource already started");
        }
        this.channel = channel;
        scan(touched, full, true, scanNanos);
        synced = true;
    }

    /** The problems of the latest scan: malformed files and duplicate objects. Any thread. */
    public List<ManifestProblem> problems() {
        return problems;
    }

    /** How many scans completed; tests wait for it to advance. Any thread. */
    public long scans() {
        return scans;
    }

    @Override
    public boolean synced(ResourceKind kind) {
        return synced && kinds.contains(kind);
    }

    @Override
    public String notSyncedReason(ResourceKind kind) {
        return synced ? null : "first scan of " + directory + " not done";
    }

    @Override
    public Collection<? extends HasMetadata> snapshot(ResourceKind kind) {
        synchronized (current) {
            List<HasMetadata> snapshot = snapshots.get(kind);
            if (snapshot == null) {
                buildMissingSnapshots(kind);
                snapshot = snapshots.get(kind);
            }
            return snapshot;
        }
    }

    /**
     * Builds the snapshot of {@code kind} and of every other kind that has none, in one pass over the published
     * objects: the writer asks for each kind in turn once the folder is synced, and a pass per kind (six over 20,000
     * objects) was on the path from the last file parsed to the maps programmed. Under the lock.
     */
    private void buildMissingSnapshots(ResourceKind kind) {
        EnumMap<ResourceKind, List<HasMetadata>> built = new EnumMap<>(ResourceKind.class);
        built.put(kind, new ArrayList<>());
        for (ResourceKind k : kinds) {
            if (!snapshots.containsKey(k)) {
                built.put(k, new ArrayList<>());
            }
        }
        for (Map.Entry<ObjectKey, HasMetadata> e : current.entrySet()) {
            List<HasMetadata> objects = built.get(e.getKey().kind());
            if (objects != null) {
                objects.add(e.getValue());
            }
        }
        built.forEach((k, objects) -> snapshots.put(k, Collections.unmodifiableList(objects)));
    }

    @Override
    public void close() {
        Thread t;
        Thread w;
        Thread sw;
        ForkJoinPool pool;
        synchronized (this) {
            running = false;
            t = thread;
            w = watchThread;
            sw = sweepThread;
            pool = parsePool;
        }
        closeWatcher();
        if (w != null) {
            w.interrupt();
        }
        if (sw != null) {
            sw.interrupt();
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    private void closeWatcher() {
        WatchService w = watcher;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                LOG.debug("closing the watch service: {}", e.toString());
            }
        }
    }
}
