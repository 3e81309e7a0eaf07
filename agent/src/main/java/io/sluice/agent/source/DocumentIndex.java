package io.sluice.agent.source;

import java.util.Arrays;

/**
 * The documents of one manifest file as last read, packed into a {@code long[]} of three longs each: two hashes of
 * the document's text, then its first line (high 32 bits) and the index of its first object in the file's object
 * list (low 32 bits). The manifest source keeps one per file (48 bytes for a Service and its EndpointSlice) and
 * parses again only the documents whose text is not among them.
 *
 * <p>The two hashes are independent 64-bit hashes of every character (different seeds and constants, each step a
 * bijection of the state mixed by a multiply and a shift), so a changed document is taken for an unchanged one only
 * if both collide: about one chance in 2<sup>128</sup> per pair of texts, far below a disk's undetected error rate.
 * The text itself is not kept: at 10,000 files it would be ~7 MB of the agent's memory.
 *
 * <p>A builder while one file is read; the static methods read a finished array. Not thread-safe (one per read).
 */
final class DocumentIndex {
    private static final int LONGS_PER_DOCUMENT = 3;
    private static final long[] NONE = new long[0];
    private long[] entries = NONE;
    private int size;

    /** How many documents were added. */
    int size() {
        return size;
    }

    /** Adds a document: its two hashes, its first line and the index of its first object. */
    void add(long hash, long check, int firstLine, int objectsFrom) {
        int at = size * LONGS_PER_DOCUMENT;
        if (at == entries.length) {
            entries = Arrays.copyOf(entries, Math.max(2 * LONGS_PER_DOCUMENT, 2 * entries.length));
        }
        entries[at] = hash;
        entries[at + 1] = check;
        entries[at + 2] = ((long) firstLine << 32) | (objectsFrom & 0xFFFF_FFFFL);
        size++;
    }

    /** The finished index, exactly as long as its documents need. */
    long[] toArray() {
        return entries.length == size * LONGS_PER_DOCUMENT ? entries : Arrays.copyOf(entries, size * LONGS_PER_DOCUMENT);
    }

    /**
     * The position in {@code index} (may be null) of a document with these hashes, looked for first at
     * {@code hint} (a document usually stays where it was), or -1.
     */
    static int find(long[] index, long hash, long check, int hint) {
        if (index == null) {
            return -1;
        }
        int documents = index.length / LONGS_PER_DOCUMENT;
        if (hint < documents && matches(index, hint, hash, check)) {
            return hint;
        }
        for (int d = 0; d < documents; d++) {
            if (d != hint && matches(index, d, hash, check)) {
                return d;
            }
        }
        return -1;
    }

    private static boolean matches(long[] index, int document, long hash, long check) {
        int at = document * LONGS_PER_DOCUMENT;
        return index[at] == hash && index[at + 1] == check;
    }

    /** The first line of document {@code document} of {@code index}. */
    static int firstLine(long[] index, int document) {
        return (int) (index[document * LONGS_PER_DOCUMENT + 2] >>> 32);
    }

    /** The index of the first object of document {@code document}. */
    static int objectsFrom(long[] index, int document) {
        return (int) index[document * LONGS_PER_DOCUMENT + 2];
    }

    /** One past the index of the last object of document {@code document}; {@code objects}: the file's count. */
    static int objectsEnd(long[] index, int document, int objects) {
        return document + 1 < index.length / LONGS_PER_DOCUMENT ? objectsFrom(index, document + 1) : objects;
    }

    /**
     * Two independent 64-bit hashes of {@code text[from, to)} ({@code [0]}, {@code [1]}), in one pass over it (two
     * passes, one a hash, were a twentieth of a parse thread's CPU in a first sync). Each character is xored in, then
     * each state multiplied by an odd constant and xor-shifted (both bijections, so two texts that differ in one
     * character always hash apart), with a final avalanche.
     */
    static long[] hashes(String text, int from, int to) {
        long h = 0x243F6A8885A308D3L ^ (to - from);
        long k = 0x13198A2E03707344L ^ (to - from);
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            h = (h ^ c) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 29;
            k = (k ^ c) * 0xC2B2AE3D27D4EB4FL;
            k ^= k >>> 31;
        }
        return new long[] {avalanche(h), avalanche(k)};
    }

    private static long avalanche(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return h;
    }
}
