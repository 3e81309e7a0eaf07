package io.sluice.agent.source;

import io.fabric8.kubernetes.client.http.AsyncBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * One list page's body ({@link ArrivingListPages}): its bytes appended as the HTTP client hands them over, into a
 * buffer reused from page to page, and parsed from there once the body has ended, where fabric8 parsed it before.
 *
 * <p>Why: fabric8 held a page's chunks (heap copies of vert.x's buffers) until its end, joined them into one array of
 * the page's size (~2 MB with managedFields) and then parsed it; chunks and array were new each page and live across
 * the young collections of the parse, so each page's bytes were copied into the old generation, garbage there until a
 * full collection (about 50 MB of the start's 110 MB of promoted garbage, at 10,000 Services). This buffer is taken
 * again by the next page: once in the old generation it stays there and no collection copies it. The pool holds idle
 * buffers only weakly, so the first full collection after the lists (the heap trim after the sync) frees them.
 *
 * <p>fabric8 hands the serialization only the body's bytes: it gets a token naming the page instead ({@link #token}),
 * after whatever chunks it had before the interceptor heard the status, which {@link #claim} turns back into the page.
 *
 * <p>Threads: {@link #append} and {@link #fail} from the HTTP client's event loop, {@link #list} from whichever thread
 * fabric8 parses on (the event loop, once the body has ended); all under this page's monitor.
 */
final class ArrivingPage {
    private static final int FIRST_CAPACITY = 64 * 1024;
    /** Idle buffers kept, each at most the largest page's size. */
    private static final int IDLE_BUFFERS = 4;
    /** Pages whose token fabric8 has not handed back yet; past this the oldest is dropped (its list request fails). */
    static final int MAX_UNCLAIMED = 8;
    /** A body ends in a token when it ends in these bytes and then the page's number (8 bytes). */
    private static final byte[] TOKEN_MAGIC = {0, 's', 'l', 'u', 'i', 'c', 'e', 0};
    private static final int TOKEN_LENGTH = TOKEN_MAGIC.length + Long.BYTES;

    private static final ArrayDeque<WeakReference<byte[]>> IDLE = new ArrayDeque<>();
    private static final Map<Long, ArrivingPage> UNCLAIMED = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, ArrivingPage> eldest) {
            return size() > MAX_UNCLAIMED;
        }
    };

    private final long id;
    /** The body so far; null once parsed or failed (the buffer is back in the pool). */
    private byte[] bytes;
    private int length;

    private ArrivingPage(long id) {
        this.id = id;
        this.bytes = takeBuffer();
    }

    /** A new page, unclaimed until fabric8 hands back its token. */
    static ArrivingPage create() {
        synchronized (UNCLAIMED) {
            long id;
            do {
                id = ThreadLocalRandom.current().nextLong();
            } while (UNCLAIMED.containsKey(id));
            ArrivingPage page = new ArrivingPage(id);
            UNCLAIMED.put(id, page);
            return page;
        }
    }

    /** How many pages fabric8 has not handed back the token of (at most {@link #MAX_UNCLAIMED}). */
    static int unclaimed() {
        synchronized (UNCLAIMED) {
            return UNCLAIMED.size();
        }
    }

    /** The bytes fabric8 gets for this page, after those it had before the status. */
    byte[] token() {
        byte[] token = Arrays.copyOf(TOKEN_MAGIC, TOKEN_LENGTH);
        ByteBuffer.wrap(token).putLong(TOKEN_MAGIC.length, id);
        return token;
    }

    /**
     * The page whose token ends {@code body} (after the bytes fabric8 had before the interceptor heard the status),
     * taken out of the unclaimed pages; null, and {@code body} unread, when it ends in no token. {@code body} must
     * support mark and say how many bytes it has left (as fabric8's {@code ByteArrayInputStream} does).
     *
     * @throws IllegalStateException when the token's page was dropped ({@link #MAX_UNCLAIMED} newer ones unclaimed)
     */
    static ArrivingPage claim(InputStream body) throws IOException {
        int size = body.available();
        if (size < TOKEN_LENGTH) {
            return null;
        }
        body.mark(Integer.MAX_VALUE);
        body.skipNBytes(size - TOKEN_LENGTH);
        byte[] tail = body.readNBytes(TOKEN_LENGTH + 1);
        int magic = TOKEN_MAGIC.length;
        if (tail.length != TOKEN_LENGTH || !Arrays.equals(tail, 0, magic, TOKEN_MAGIC, 0, magic)) {
            body.reset();
            return null;
        }
        long id = ByteBuffer.wrap(tail).getLong(magic);
        ArrivingPage page;
        synchronized (UNCLAIMED) {
            page = UNCLAIMED.remove(id);
        }
        if (page == null) {
            throw new IllegalStateException("list page " + Long.toHexString(id) + " was dropped before fabric8 asked"
                    + " for it (" + MAX_UNCLAIMED + " newer pages were not asked for)");
        }
        return page;
    }

    /**
     * Appends a chunk of the body (leaving the chunk's position, as fabric8 may hold it too) and, when {@code body} is
     * not null, asks it for the next.
     */
    void append(ByteBuffer chunk, AsyncBody body) {
        synchronized (this) {
            if (bytes != null) {
                int size = chunk.remaining();
                if (length + size > bytes.length) {
                    bytes = Arrays.copyOf(bytes, Math.max(length + size, bytes.length * 2));
                }
                chunk.get(chunk.position(), bytes, length, size);
                length += size;
            }
        }
        if (body != null) {
            body.consume();
        }
    }

    /** The body failed: its buffer goes back, and the page is no longer claimed (fabric8 gets the failure). */
    void fail() {
        synchronized (UNCLAIMED) {
            UNCLAIMED.remove(id);
        }
        giveBack(taken());
    }

    /**
     * What {@code parse} makes of the whole body (fabric8 asks once it has ended), which it reads from the buffer;
     * the buffer then goes back.
     */
    <T> T list(Function<InputStream, T> parse) {
        byte[] body;
        int size;
        synchronized (this) {
            body = bytes;
            size = length;
        }
        if (body == null) {
            throw new IllegalStateException("list page " + Long.toHexString(id) + " was read already");
        }
        try {
            return parse.apply(new ByteArrayInputStream(body, 0, size));
        } finally {
            giveBack(taken());
        }
    }

    private synchronized byte[] taken() {
        byte[] taken = bytes;
        bytes = null;
        return taken;
    }

    private static byte[] takeBuffer() {
        synchronized (IDLE) {
            for (WeakReference<byte[]> idle; (idle = IDLE.pollFirst()) != null; ) {
                byte[] buffer = idle.get();
                if (buffer != null) {
                    return buffer;
                }
            }
        }
        return new byte[FIRST_CAPACITY];
    }

    private static void giveBack(byte[] buffer) {
        if (buffer == null) {
            return;
        }
        synchronized (IDLE) {
            if (IDLE.size() < IDLE_BUFFERS) {
                IDLE.addFirst(new WeakReference<>(buffer));
            }
        }
    }
}
