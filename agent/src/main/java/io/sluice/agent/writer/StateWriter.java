package io.sluice.agent.writer;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.event.ResourceEvent;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.ResourceSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer: an Agrona {@link Agent} whose duty cycle drains the {@link EventQueue} into the {@link Store},
 * coalesces bursts (a key changed many times between two cycles is passed to reconcilers once, with its latest
 * state), calls the {@link Reconciler}s and flushes them, retrying a failed flush with backoff.
 *
 * <p>It also follows the sources: when a kind becomes synced, after a lost watch comes back, or after the queue
 * overflowed, it reads the source's snapshot and applies the difference to the store, so the store converges to
 * the source whatever was dropped or reordered. Objects whose resourceVersion did not change produce no reconciler
 * call, so relists and resyncs cost no map writes.
 *
 * <p>Threads: everything but {@link #status()}, {@link #heartbeatNanos()} and {@link #channelOf} runs on the
 * writer thread (the {@code AgentRunner}'s). Readiness is published as an immutable {@link WriterStatus}.
 */
public final class StateWriter implements Agent {
    private static final Logger LOG = LoggerFactory.getLogger(StateWriter.class);
    private static final long MIN_FLUSH_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_FLUSH_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How often an unready writer refreshes its reason from the sources. */
    private static final long STATUS_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** A busy writer still gives the reconcilers' background work a step this often (see {@link Reconciler#backgroundStep}). */
    public static final long BACKGROUND_INTERVAL_MILLIS = 10;
    private static final long BACKGROUND_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(BACKGROUND_INTERVAL_MILLIS);
    /** After a background step failed, the next waits this long. */
    private static final long BACKGROUND_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** values() copies its array on every call: a 40-byte allocation per duty cycle on the event path. */
    private static final ResourceKind[] KINDS = ResourceKind.values();

    /** A source, its channel and which of its kinds the store holds a synced copy of. */
    private static final class Binding {
        final ResourceSource source;
        final EventChannel channel;
        final ResourceKind[] kinds;
        final boolean[] storeSynced;

        Binding(ResourceSource source, EventChannel channel) {
            this.source = source;
            this.channel = channel;
            this.kinds = source.kinds().toArray(new ResourceKind[0]);
            this.storeSynced = new boolean[kinds.length];
        }
    }

    private final EventQueue queue;
    /**
     * Arrays, not lists: the writer loops over both every duty cycle, its idle strategy spins through a hundred
     * cycles after each event, and a list's iterator is an allocation each time (with C1 only, nothing elides it):
     * a fifth of the agent's allocation under a churn of 1,000 changes a second.
     */
    private final Binding[] bindings;
    private final Reconciler[] reconcilers;
    private final AgentMetrics metrics;
    private final Store store = new Store();
    private final ArrayList<Store.Entry> dirty = new ArrayList<>();
    private final LongArrayList pendingEventNanos = new LongArrayList();
    private final Consumer<ResourceEvent> applyEvent = this::apply;
    private final Consumer<Store.Entry> deleteIfNotResynced = this::deleteIfNotResynced;

    private long resyncEpoch;
    private long resyncNanos;
    private boolean allSynced;
    private boolean storeSyncedToNotify;
    /** Kinds that became synced since the reconcilers were last told ({@link Reconciler#onKindSynced}): bit = ordinal. */
    private long kindsSyncedToNotify;
    private boolean flushedSinceSynced;
    private boolean syncInProgress = true;
    private boolean firstSyncFlushed;
    private long syncStartNanos = System.nanoTime();
    private boolean flushPending = true;
    private boolean lastFlushOk = true;
    private String flushError;
    private long flushBackoffNanos;
    private long nextFlushNanos = System.nanoTime();
    private boolean statusStale = true;
    private long statusNanos;
    private long nextBackgroundNanos = System.nanoTime();
    private volatile WriterStatus status = new WriterStatus(false, "writer not started");
    private volatile long heartbeatNanos = System.nanoTime();
    private volatile long lastEventNanos = System.nanoTime();

    /**
     * A writer over {@code sources} (each gets its channel from {@link #channelOf}) and {@code reconcilers},
     * called in the given order.
     *
     * @throws IllegalArgumentException when two sources deliver the same kind
     */
    public StateWriter(EventQueue queue, List<? extends ResourceSource> sources, List<? extends Reconciler> reconcilers,
                       AgentMetrics metrics) {
        this.queue = queue;
        this.reconcilers = List.copyOf(reconcilers).toArray(new Reconciler[0]);
        this.metrics = metrics;
        Set<ResourceKind> seen = EnumSet.noneOf(ResourceKind.class);
        List<Binding> bound = new ArrayList<>();
        for (ResourceSource source : sources) {
            for (ResourceKind kind : source.kinds()) {
                if (!seen.add(kind)) {
                    throw new IllegalArgumentException("two sources deliver " + kind + "; the second is " + source.name());
                }
            }
            bound.add(new Binding(source, queue.channel(source.name())));
        }
        this.bindings = bound.toArray(new Binding[0]);
    }

    /** The channel {@code source} must publish into. Any thread. */
    public EventChannel channelOf(ResourceSource source) {
        for (Binding b : bindings) {
            if (b.source == source) {
                return b.channel;
            }
        }
        throw new IllegalArgumentException(source.name() + " is not a source of this writer");
    }

    /** The latest readiness, published by the writer thread. Any thread. */
    public WriterStatus status() {
        return status;
    }

    /** {@link System#nanoTime()} at the start of the latest duty cycle: a stuck writer stops advancing it. */
    public long heartbeatNanos() {
        return heartbeatNanos;
    }

    /**
     * {@link System#nanoTime()} at the start of the latest duty cycle that took an event from the queue: how long the
     * writer has been idle (the heap trim waits for that). Any thread.
     */
    public long lastEventNanos() {
        return lastEventNanos;
    }

    /** The store. Writer thread only (reconcilers get it in their callbacks; tests call {@link #doWork} themselves). */
    public Store store() {
        return store;
    }

    @Override
    public String roleName() {
        return "sluice-writer";
    }

    @Override
    public void onStart() {
        syncStartNanos = System.nanoTime();
    }

    @Override
    public int doWork() {
        long now = System.nanoTime();
        heartbeatNanos = now;
        int work = followSources(now);
        int events = queue.drain(applyEvent, queue.capacity());
        if (events > 0) {
            lastEventNanos = now;
            work += events;
        }
        if (!dirty.isEmpty()) {
            work += processDirty();
        }
        if (kindsSyncedToNotify != 0) {
            notifyKindsSynced();
            work++;
        }
        if (storeSyncedToNotify) {
            storeSyncedToNotify = false;
            for (Reconciler r : reconcilers) {
                r.onStoreSynced(store);
            }
            flushPending = true;
            work++;
        }
        if (flushPending && now - nextFlushNanos >= 0) {
            work += flush();
        }
        if ((work == 0 || now - nextBackgroundNanos >= 0) && now - nextBackgroundNanos >= -BACKGROUND_INTERVAL_NANOS) {
            work += backgroundStep(now);
        }
        if (work > 0 || statusStale || !status.ready() && now - statusNanos > STATUS_REFRESH_NANOS) {
            publishStatus(now);
        }
        return work;
    }

    private int followSources(long now) {
        int work = 0;
        boolean synced = true;
        for (Binding b : bindings) {
            if (b.channel.takeOverflow()) {
                LOG.warn("event queue overflowed; resynchronising {} from its cache", b.source.name());
                beginSync(now);
                // Apply what is queued first so the snapshot, read afterwards, is the newer state.
                queue.drain(applyEvent, queue.capacity());
                for (int i = 0; i < b.kinds.length; i++) {
                    if (b.storeSynced[i]) {
                        resync(b.kinds[i], b.source.snapshot(b.kinds[i]));
                    }
                }
                work++;
            }
            for (int i = 0; i < b.kinds.length; i++) {
                boolean sourceSynced = b.source.synced(b.kinds[i]);
                if (sourceSynced && !b.storeSynced[i]) {
                    resync(b.kinds[i], b.source.snapshot(b.kinds[i]));
                    b.storeSynced[i] = true;
                    kindsSyncedToNotify |= 1L << b.kinds[i].ordinal();
                    statusStale = true;
                    work++;
                } else if (!sourceSynced && b.storeSynced[i]) {
                    LOG.warn("{} from {} is no longer synced: {}", b.kinds[i], b.source.name(),
                            b.source.notSyncedReason(b.kinds[i]));
                    b.storeSynced[i] = false;
                    beginSync(now);
                    work++;
                }
                synced &= b.storeSynced[i];
            }
        }
        if (synced != allSynced) {
            allSynced = synced;
            statusStale = true;
            if (synced) {
                storeSyncedToNotify = true;
                flushedSinceSynced = false;
                flushPending = true;
            }
        }
        return work;
    }

    private void notifyKindsSynced() {
        for (ResourceKind kind : KINDS) {
            if ((kindsSyncedToNotify & 1L << kind.ordinal()) != 0) {
                for (Reconciler r : reconcilers) {
                    r.onKindSynced(kind, store);
                }
            }
        }
        kindsSyncedToNotify = 0;
        flushPending = true;
    }

    private void beginSync(long now) {
        if (!syncInProgress) {
            syncInProgress = true;
            syncStartNanos = now;
        }
        statusStale = true;
    }

    /** Makes the store's copy of {@code kind} equal to {@code snapshot}, marking only what differs. */
    private void resync(ResourceKind kind, Iterable<? extends HasMetadata> snapshot) {
        long now = System.nanoTime();
        resyncNanos = now;
        long epoch = ++resyncEpoch;
        int objects = 0;
        for (HasMetadata object : snapshot) {
            ObjectMeta meta = object.getMetadata();
            if (meta == null || meta.getName() == null) {
                metrics.objectRefused(kind.apiKind(), "no_name");
                continue;
            }
            Store.Entry e = store.findOrCreate(kind, namespaceOf(kind, meta), meta.getName());
            e.resyncEpoch = epoch;
            if (store.upsert(e, object)) {
                markDirty(e, now);
            }
            objects++;
        }
        store.forEachEntry(kind, deleteIfNotResynced);
        metrics.storeObjects(kind, store.size(kind));
        LOG.debug("resynchronised {} {} objects", objects, kind);
    }

    private void deleteIfNotResynced(Store.Entry e) {
        if (e.resyncEpoch != resyncEpoch && store.delete(e)) {
            markDirty(e, resyncNanos);
        }
    }

    private void apply(ResourceEvent event) {
        ResourceKind kind = event.kind();
        ObjectMeta meta = event.object().getMetadata();
        if (meta == null || meta.getName() == null) {
            metrics.objectRefused(kind.apiKind(), "no_name");
            return;
        }
        String namespace = namespaceOf(kind, meta);
        if (event.deleted()) {
            Store.Entry e = store.find(kind, namespace, meta.getName());
            if (e != null && store.delete(e)) {
                markDirty(e, event.receivedNanos());
            }
        } else {
            Store.Entry e = store.findOrCreate(kind, namespace, meta.getName());
            if (store.upsert(e, event.object())) {
                markDirty(e, event.receivedNanos());
            }
        }
    }

    private static String namespaceOf(ResourceKind kind, ObjectMeta meta) {
        return kind.namespaced() && meta.getNamespace() != null ? meta.getNamespace() : "";
    }

    private void markDirty(Store.Entry e, long eventNanos) {
        if (!e.dirty) {
            e.dirty = true;
            e.firstEventNanos = eventNanos;
            dirty.add(e);
        }
    }

    private int processDirty() {
        int n = dirty.size();
        for (int i = 0; i < n; i++) {
            Store.Entry e = dirty.get(i);
            e.dirty = false;
            for (Reconciler r : reconcilers) {
                try {
                    r.onChange(e.key, store);
                } catch (RuntimeException ex) {
                    // One bad object must not stop the others (DESIGN.md invariant 4).
                    LOG.error("reconciler {} refused {}: {}", r.name(), e.key, ex.toString(), ex);
                    metrics.objectRefused(e.key.kind().apiKind(), "reconciler_error");
                }
            }
            pendingEventNanos.addLong(e.firstEventNanos);
            if (e.object == null) {
                store.remove(e);
            }
        }
        dirty.clear();
        for (ResourceKind kind : KINDS) {
            metrics.storeObjects(kind, store.size(kind));
        }
        flushPending = true;
        return n;
    }

    private int flush() {
        int operations = 0;
        for (Reconciler r : reconcilers) {
            try {
                operations += r.flush();
            } catch (RuntimeException ex) {
                flushBackoffNanos = Math.min(MAX_FLUSH_BACKOFF_NANOS,
                        Math.max(MIN_FLUSH_BACKOFF_NANOS, flushBackoffNanos * 2));
                nextFlushNanos = System.nanoTime() + flushBackoffNanos;
                String error = r.name() + ": " + ex;
                if (lastFlushOk || !error.equals(flushError)) {
                    LOG.warn("flush failed, retrying in {} ms: {}", flushBackoffNanos / 1_000_000, error, ex);
                }
                lastFlushOk = false;
                flushError = error;
                statusStale = true;
                return 1;
            }
        }
        long done = System.nanoTime();
        for (int i = 0, n = pendingEventNanos.size(); i < n; i++) {
            metrics.eventFlushed((done - pendingEventNanos.getLong(i)) / 1e9);
        }
        pendingEventNanos.clear();
        flushPending = false;
        flushBackoffNanos = 0;
        if (!lastFlushOk) {
            LOG.info("flush succeeded again");
            lastFlushOk = true;
            flushError = null;
            statusStale = true;
        }
        if (allSynced) {
            if (!flushedSinceSynced) {
                flushedSinceSynced = true;
                statusStale = true;
            }
            if (syncInProgress) {
                syncInProgress = false;
                metrics.syncCompleted((done - syncStartNanos) / 1e9);
            }
            if (!firstSyncFlushed) {
                // Wall-clock, unlike the histogram: so a benchmark can set it against when it launched the process.
                firstSyncFlushed = true;
                Instant flushed = Instant.now();
                metrics.firstSyncFlushed(flushed.getEpochSecond() + flushed.getNano() / 1e9);
            }
        }
        return 1 + operations;
    }

    /** One background step of each reconciler; idle duty cycles call it, busy ones every interval at least. */
    private int backgroundStep(long now) {
        int work = 0;
        nextBackgroundNanos = now + BACKGROUND_INTERVAL_NANOS;
        for (Reconciler r : reconcilers) {
            try {
                work += r.backgroundStep();
            } catch (RuntimeException ex) {
                LOG.warn("background work of reconciler {} failed, retrying in {} s: {}", r.name(),
                        TimeUnit.NANOSECONDS.toSeconds(BACKGROUND_RETRY_NANOS), ex.toString(), ex);
                nextBackgroundNanos = now + BACKGROUND_RETRY_NANOS + BACKGROUND_INTERVAL_NANOS;
            }
        }
        return work;
    }

    private void publishStatus(long now) {
        statusStale = false;
        statusNanos = now;
        WriterStatus next = allSynced && lastFlushOk && flushedSinceSynced
                ? WriterStatus.READY
                : new WriterStatus(false, notReadyReason());
        if (!next.equals(status)) {
            status = next;
        }
    }

    private String notReadyReason() {
        if (!allSynced) {
            List<String> reasons = new ArrayList<>();
            for (Binding b : bindings) {
                for (int i = 0; i < b.kinds.length; i++) {
                    if (!b.storeSynced[i]) {
                        String why = b.source.notSyncedReason(b.kinds[i]);
                        reasons.add(b.kinds[i] + " from " + b.source.name() + " not synced"
                                + (why == null ? "" : ": " + why));
                    }
                }
            }
            return String.join("; ", reasons);
        }
        if (!lastFlushOk) {
            return "flush failed: " + flushError;
        }
        return "waiting for the first flush after sync";
    }
}
