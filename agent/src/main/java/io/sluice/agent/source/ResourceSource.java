package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.model.ResourceKind;
import java.util.Collection;
import java.util.Set;

/**
 * Where objects come from (the Kubernetes API, a manifest directory). A source publishes every change into its
 * {@link EventChannel} from its own threads, never blocking, and keeps a cache the writer can read whole with
 * {@link #snapshot} to resynchronise after it became synced, lost its watch, or overflowed the queue.
 */
public interface ResourceSource extends AutoCloseable {

    /** A short name for logs and metrics, e.g. {@code kubernetes}. */
    String name();

    /** The kinds this source delivers; no two sources of one agent deliver the same kind. */
    Set<ResourceKind> kinds();

    /** Starts delivering into {@code channel}; returns without waiting for the first list. */
    void start(EventChannel channel);

    /**
     * Whether {@code kind}'s first full list has arrived and the source currently receives changes. Any thread.
     * It may go back to false (a lost watch) and forward again.
     */
    boolean synced(ResourceKind kind);

    /** Why {@code kind} is not synced, for /readyz and logs; null when it is. Any thread. */
    String notSyncedReason(ResourceKind kind);

    /** Every object of {@code kind} the source holds now. Any thread; consistent per object, not across objects. */
    Collection<? extends HasMetadata> snapshot(ResourceKind kind);

    /** Stops delivering events and releases the source's threads and connections. */
    @Override
    void close();
}
