package io.sluice.agent.event;

import io.sluice.agent.metrics.AgentMetrics;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * The one queue between every source and the single writer: a bounded, lock-free many-to-one queue (Agrona).
 *
 * <p>Why one many-to-one queue rather than one one-to-one queue per source: fabric8 calls each informer's handlers
 * from its own serialising executor, whose pool threads change over time, and the manifest watcher is another
 * thread, so "one producer per queue" would rest on executor internals. A single MPSC queue has no such
 * assumption, keeps the writer's drain to one call, and the producers are few (one per kind), so contention on its
 * tail is low.
 *
 * <p>Producers never block: when the queue is full, {@link EventChannel#publish} drops the event and marks its
 * channel overflowed; the writer then resynchronises that source from its cache, which holds the dropped change.
 */
public final class EventQueue {
    private final ManyToOneConcurrentArrayQueue<ResourceEvent> queue;
    private final AgentMetrics metrics;
    private final ConcurrentHashMap<String, EventChannel> channels = new ConcurrentHashMap<>();

    /** A queue of at least {@code capacity} events (rounded up to a power of two). */
    public EventQueue(int capacity, AgentMetrics metrics) {
        this.queue = new ManyToOneConcurrentArrayQueue<>(capacity);
        this.metrics = metrics;
    }

    /**
     * The channel through which the source called {@code sourceName} publishes: made at the first call, the same one
     * at every later call. So the agent can start a source before its writer exists (the source parses while the
     * data path loads) and the writer, asking for the channel later, still sees that source's overflows.
     */
    public EventChannel channel(String sourceName) {
        return channels.computeIfAbsent(sourceName, name -> new EventChannel(name, this, metrics));
    }

    boolean offer(ResourceEvent event) {
        return queue.offer(event);
    }

    /** Hands up to {@code limit} queued events to {@code consumer}, oldest first. Writer thread only. */
    public int drain(Consumer<ResourceEvent> consumer, int limit) {
        return queue.drain(consumer, limit);
    }

    /** The queue's capacity. */
    public int capacity() {
        return queue.capacity();
    }

    /** Events queued now (a momentary figure). */
    public int size() {
        return queue.size();
    }
}
