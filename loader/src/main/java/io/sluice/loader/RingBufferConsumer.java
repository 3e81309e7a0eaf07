package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Reads events from one or more {@code BPF_MAP_TYPE_RINGBUF} maps (libbpf's {@code ring_buffer}): each event is
 * handed to the map's {@link EventHandler} as a segment of exactly the event's size, valid only during the call.
 * {@link #poll} waits for events, {@link #consume} takes what is there. An exception from a handler stops that
 * poll (the event counts as consumed) and is rethrown by {@code poll}/{@code consume}; it never crosses into
 * native code. The upcall stubs live in this consumer's arena, which is closed only after ring_buffer__free.
 *
 * <p>Thread confinement: poll, consume, add and close from one thread at a time (libbpf's ring buffer is not
 * thread-safe); handlers run on the polling thread. Close the consumer before the maps' object.
 */
@SuppressWarnings("restricted") // native memory of libbpf and upcalls: the point of this class
public final class RingBufferConsumer implements AutoCloseable {
    /** Receives one event; the segment is the event's bytes and must not be kept after the call. */
    @FunctionalInterface
    public interface EventHandler {
        void onEvent(MemorySegment event);
    }

    private static final FunctionDescriptor SAMPLE_FN = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
    private static final MethodHandle ON_SAMPLE;

    static {
        try {
            ON_SAMPLE = MethodHandles.lookup().findVirtual(Sink.class, "onSample",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment ringBuffer;
    private final StringBuilder names = new StringBuilder();
    private Throwable handlerFailure;
    private boolean closed;

    private RingBufferConsumer(BpfMap map, EventHandler handler) {
        checkRingBuffer(map);
        try {
            MemorySegment rb = (MemorySegment) LibBpf.ring_buffer__new.HANDLE.invokeExact(Native.capture(), map.fd(),
                    stub(handler), MemorySegment.NULL, MemorySegment.NULL);
            if (rb.equals(MemorySegment.NULL)) {
                throw new BpfException("ring_buffer__new", map.describe(), Native.errno());
            }
            ringBuffer = rb;
        } catch (Throwable t) {
            arena.close();
            throw Native.rethrow(t);
        }
        names.append(map.name());
    }

    /** A consumer of the ring buffer {@code map}. */
    public static RingBufferConsumer open(BpfMap map, EventHandler handler) {
        return new RingBufferConsumer(map, handler);
    }

    /** Adds another ring buffer map with its own handler (ring_buffer__add). */
    public RingBufferConsumer add(BpfMap map, EventHandler handler) {
        ensureOpen();
        checkRingBuffer(map);
        try {
            int rc = (int) LibBpf.ring_buffer__add.HANDLE.invokeExact(ringBuffer, map.fd(), stub(handler), MemorySegment.NULL);
            if (rc < 0) {
                throw new BpfException("ring_buffer__add", map.describe(), rc);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        names.append(", ").append(map.name());
        return this;
    }

    /**
     * Waits up to {@code timeoutMillis} (0: no wait, -1: forever) for events and hands every available one to its
     * handler (ring_buffer__poll).
     *
     * @return the number of events consumed
     */
    public int poll(int timeoutMillis) {
        ensureOpen();
        int rc;
        try {
            rc = (int) LibBpf.ring_buffer__poll.HANDLE.invokeExact(ringBuffer, timeoutMillis);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return result("ring_buffer__poll", rc);
    }

    /** Hands every event available now to its handler, without waiting (ring_buffer__consume). */
    public int consume() {
        ensureOpen();
        int rc;
        try {
            rc = (int) LibBpf.ring_buffer__consume.HANDLE.invokeExact(ringBuffer);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return result("ring_buffer__consume", rc);
    }

    private int result(String call, int rc) {
        Throwable failure = handlerFailure;
        if (failure != null) {
            handlerFailure = null;
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException("ring buffer event handler failed", failure);
        }
        if (rc == -Errno.EINTR) {
            return 0;
        }
        if (rc < 0) {
            throw new BpfException(call, "ring buffer " + names, rc);
        }
        return rc;
    }

    private MemorySegment stub(EventHandler handler) {
        return Native.LINKER.upcallStub(ON_SAMPLE.bindTo(new Sink(handler)), SAMPLE_FN, arena);
    }

    private static void checkRingBuffer(BpfMap map) {
        if (map.type() != MapType.RINGBUF) {
            throw new IllegalArgumentException(map.describe() + " is a " + map.type() + " map, not RINGBUF");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("ring buffer consumer of " + names + " is closed");
        }
    }

    /** Frees the ring buffer (ring_buffer__free), then the upcall stubs. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            LibBpf.ring_buffer__free.HANDLE.invokeExact(ringBuffer);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            arena.close();
        }
    }

    /** The upcall target for one map: never lets a Throwable reach native code. */
    private final class Sink {
        private final EventHandler handler;

        Sink(EventHandler handler) {
            this.handler = handler;
        }

        @SuppressWarnings("unused") // called from native code through the upcall stub
        int onSample(MemorySegment context, MemorySegment data, long size) {
            try {
                handler.onEvent(data.reinterpret(size));
                return 0;
            } catch (Throwable t) {
                handlerFailure = t;
                return -1;
            }
        }
    }
}
