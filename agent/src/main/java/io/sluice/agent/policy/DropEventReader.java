package io.sluice.agent.policy;

import io.sluice.loader.BpfMap;
import io.sluice.loader.RingBufferConsumer;
import io.sluice.maps.DropEvent;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's reader of the ring buffer {@code sluice_events}, on a thread of its own: every drop event is counted
 * ({@link PolicyMetrics}), logged (at most {@link #LOG_PER_SECOND} a second, the rest summed up in the next line),
 * and handed to {@code sluice monitor} clients ({@link DropEventStream}). A record it cannot decode (a newer data
 * path) is counted and skipped.
 */
public final class DropEventReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DropEventReader.class);
    static final int LOG_PER_SECOND = 20;
    private static final int POLL_MILLIS = 200;

    private final BpfMap ring;
    private final Consumer<DropEvent> sink;
    private final PolicyMetrics metrics;
    private final Thread thread;
    private volatile boolean stopping;
    private long windowStart = System.nanoTime();
    private int loggedInWindow;
    private long suppressed;

    private DropEventReader(BpfMap ring, Consumer<DropEvent> sink, PolicyMetrics metrics) {
        this.ring = ring;
        this.sink = sink;
        this.metrics = metrics;
        this.thread = Thread.ofPlatform().daemon().name("sluice-policy-events").unstarted(this::run);
    }

    /**
     * Starts reading {@code ring} (closed with this reader); each event also goes to {@code sink}.
     */
    public static DropEventReader start(BpfMap ring, Consumer<DropEvent> sink, PolicyMetrics metrics) {
        DropEventReader reader = new DropEventReader(ring, sink, metrics);
        reader.thread.start();
        return reader;
    }

    private void run() {
        try (RingBufferConsumer consumer = RingBufferConsumer.open(ring, this::onRecord)) {
            while (!stopping) {
                try {
                    consumer.poll(POLL_MILLIS);
                } catch (RuntimeException e) {
                    LOG.warn("reading drop events failed", e);
                }
            }
        } catch (RuntimeException e) {
            LOG.error("cannot read the ring buffer {}: drop events are not reported", ring.name(), e);
        }
    }

    private void onRecord(MemorySegment record) {
        DropEvent event;
        try {
            event = DropEvent.CODEC.decode(record);
        } catch (IllegalArgumentException e) {
            metrics.undecodableEvent();
            LOG.debug("skipping an event record: {}", e.getMessage());
            return;
        }
        metrics.dropEvent(event);
        log(event);
        sink.accept(event);
    }

    private void log(DropEvent event) {
        long now = System.nanoTime();
        if (now - windowStart >= TimeUnit.SECONDS.toNanos(1)) {
            if (suppressed > 0) {
                LOG.info("{} more drops not logged (see sluice monitor and sluice_policy_drops_total)", suppressed);
            }
            windowStart = now;
            loggedInWindow = 0;
            suppressed = 0;
        }
        if (loggedInWindow < LOG_PER_SECOND) {
            loggedInWindow++;
            LOG.info(event.describe());
        } else {
            suppressed++;
        }
    }

    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ring.close();
    }
}
