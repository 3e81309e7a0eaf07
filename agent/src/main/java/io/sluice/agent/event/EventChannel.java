package io.sluice.agent.event;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One source's way into the {@link EventQueue}. {@link #publish} is safe from any thread, lock-free and never
 * blocks; a full queue sets the overflow flag that the writer reads and clears with {@link #takeOverflow()}.
 */
public final class EventChannel {
    private final String sourceName;
    private final EventQueue queue;
    private final AgentMetrics metrics;
    private final AtomicBoolean overflowed = new AtomicBoolean();

    EventChannel(String sourceName, EventQueue queue, AgentMetrics metrics) {
        this.sourceName = sourceName;
        this.queue = queue;
        this.metrics = metrics;
    }

    /** The name of the source that publishes here. */
    public String sourceName() {
        return sourceName;
    }

    /**
     * Queues the latest state of {@code object} (or its deletion).
     *
     * @return false when the queue was full: the event is dropped and the writer will resync this source
     */
    public boolean publish(ResourceKind kind, boolean deleted, HasMetadata object) {
        return publish(kind, deleted, object, System.nanoTime());
    }

    /**
     * As {@link #publish(ResourceKind, boolean, HasMetadata)}, for a source that saw the change reach the agent
     * earlier than it could publish it (a manifest file notified, then read and parsed): {@code receivedNanos}
     * ({@link System#nanoTime()} then) starts the event's latency.
     */
    public boolean publish(ResourceKind kind, boolean deleted, HasMetadata object, long receivedNanos) {
        metrics.eventReceived(kind);
        if (queue.offer(new ResourceEvent(kind, deleted, object, receivedNanos))) {
            return true;
        }
        overflowed.set(true);
        metrics.queueOverflow(sourceName);
        return false;
    }

    /**
     * Whether an event was dropped since the last call, clearing the flag. Writer thread only; the writer must
     * read the source's snapshot after this returns true, so that the snapshot holds every dropped change.
     */
    public boolean takeOverflow() {
        return overflowed.get() && overflowed.getAndSet(false);
    }
}
