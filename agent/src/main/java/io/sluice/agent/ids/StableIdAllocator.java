package io.sluice.agent.ids;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.BitSet;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import org.agrona.collections.Long2LongHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each key (an object packed into a non-zero {@code long}, such as a frontend or a backend: {@link ServiceIds})
 * a stable u32 id in {@code 1..maxId}, persisted in a Chronicle Map file under the agent's state directory, so that a
 * restarted or upgraded agent gives the same objects the same ids and the pinned BPF maps stay valid. 0 is never
 * allocated: BPF maps use it for "none".
 *
 * <p>Allocation takes the lowest free id, which keeps ids dense (array-map friendly) and deterministic; a released id
 * is free for reuse.
 *
 * <p>The file (format 2) holds one entry per 64 ids, so that persisting the 110,000 ids of a first sync is ~1,700
 * puts rather than 110,000 (a put costs about the same whatever its size here):
 * <pre>
 *   block b (0 .. maxId / 64)  ->  64 little-endian longs: the keys of ids 64b .. 64b + 63 (0: free)
 *   block -1                   ->  the format version (little-endian int), then zeros
 * </pre>
 * The version is checked at open: a file of another version, or one that is not an id file, is refused with an error
 * naming it. A format-1 file (string keys, the agent before this format) given to {@link #open} is migrated with its
 * ids, and its name then holds a guard that such an older agent refuses by name (a downgrade fails clearly instead of
 * reusing ids). The file is a {@link LockedChronicleFile}: one agent at a time, recovered at open after a killed agent.
 *
 * <p>{@link #idOf} and the releases change memory only; {@link #persist} writes the blocks they changed. Callers
 * persist before a BPF map refers to a new id, so the file holds every id a map refers to and a restart never hands
 * such an id to another object; a release persisted late only keeps its id held a little longer (or, if the agent
 * dies first, by the same key). {@link #restore} makes the allocator agree with what the pinned maps hold, which win
 * over the file (a state directory lost, or older than the maps).
 *
 * <p>Threads: one owner (the writer thread); not thread-safe.
 */
public final class StableIdAllocator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StableIdAllocator.class);
    /** The version of the file's content; bump it when the meaning of keys, ids or blocks changes. */
    public static final int FORMAT_VERSION = 2;
    /** The entry that holds the version: no block of ids has a negative number. */
    static final int VERSION_BLOCK = -1;
    static final int IDS_PER_BLOCK = 64;
    static final int BLOCK_BYTES = IDS_PER_BLOCK * Long.BYTES;
    /** What {@link #keyOfId} holds for a free id; no key is 0. */
    private static final long FREE = 0;
    /** What {@link #idOfKey} answers for a key without an id (ids start at 1). */
    private static final long NO_ID = 0;

    private final Path file;
    private final int maxId;
    private final IdKeyFormat keys;
    private final LockedChronicleFile<Integer, byte[]> locked;
    private final ChronicleMap<Integer, byte[]> map;
    /** Key to id without an object per key (110,000 key strings were 6 MB); 0.9 full: 2 MB at 100,000 keys. */
    private final Long2LongHashMap idOfKey = new Long2LongHashMap(IDS_PER_BLOCK, 0.9f, NO_ID);
    /** Id to key ({@link #FREE}: free), as long as the highest id held needs. */
    private long[] keyOfId = new long[IDS_PER_BLOCK];
    /** The ids held, for finding the lowest free one 64 ids a step (32 KB at 262,144 ids). */
    private final BitSet used = new BitSet();
    /** Blocks changed since the last {@link #persist}. */
    private final BitSet dirtyBlocks = new BitSet();
    private final ByteBuffer block = ByteBuffer.allocate(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    /**
     * No id below this one is free: allocation searches from here, not from 1, so a first sync of 100,000 keys does
     * not scan the ids it already handed out again for each new key (quadratic in the number of keys).
     */
    private int lowestFree = 1;
    private int held;
    private boolean closed;

    /** Receives one held id with its key. */
    @FunctionalInterface
    public interface HeldId {
        void accept(long key, int id);
    }

    private StableIdAllocator(Path file, int maxId, IdKeyFormat keys, LockedChronicleFile<Integer, byte[]> locked) {
        this.file = file;
        this.maxId = maxId;
        this.keys = keys;
        this.locked = locked;
        this.map = locked.map();
    }

    /**
     * Opens the id file {@code file}, creating it (and its directory) when absent; when it is absent and
     * {@code formatOneFile} is a format-1 file, its ids are migrated into it first. {@code formatOneFile} then holds a
     * guard that an agent of format 1 refuses by name (it would otherwise start with fresh ids over the pinned maps).
     *
     * @param maxId         the largest id to hand out (the capacity of the BPF map the ids index)
     * @param keys          what the keys stand for (messages, and the format-1 keys)
     * @param formatOneFile the same ids as an older agent kept them, or null
     * @throws IllegalStateException naming the file when it is locked by another agent, of another format version,
     *                               not an id file, or holds ids above {@code maxId}
     */
    public static StableIdAllocator open(Path file, int maxId, IdKeyFormat keys, Path formatOneFile) {
        if (maxId < 1) {
            throw new IllegalArgumentException("maxId must be at least 1, got " + maxId);
        }
        LockedChronicleFile<Integer, byte[]> locked = LockedChronicleFile.open(file, "Sluice id file", builder(file, maxId),
                () -> {
                    if (formatOneFile == null) {
                        return;
                    }
                    boolean migrated = Files.exists(file);
                    if (Files.exists(formatOneFile)) {
                        if (guarded(formatOneFile, maxId, migrated)) {
                            return;
                        }
                        if (!migrated) {
                            migrate(formatOneFile, file, maxId, keys);
                        }
                    }
                    // Migrated (now, or by an agent that stopped before guarding), or there was none: an older
                    // agent must not start with fresh ids over the ids the pinned maps hold.
                    FormatOneIdFile.guard(formatOneFile);
                });
        try {
            StableIdAllocator allocator = new StableIdAllocator(file, maxId, keys, locked);
            allocator.load(locked.existed());
            return allocator;
        } catch (RuntimeException e) {
            locked.close();
            throw e;
        }
    }

    /**
     * Whether {@code formatOneFile} holds the guard. A file there that does not read is replaced when the format-2
     * file exists (nothing there is needed any more), else refused by name: it would be the only copy of the ids.
     */
    private static boolean guarded(Path formatOneFile, int maxId, boolean migrated) {
        try {
            return Integer.valueOf(FormatOneIdFile.GUARD_VERSION).equals(FormatOneIdFile.versionOf(formatOneFile, maxId));
        } catch (IllegalStateException unreadable) {
            if (migrated) {
                LOG.warn("replacing {} by a guard: {}", formatOneFile, unreadable.getMessage());
                return false;
            }
            throw unreadable;
        }
    }

    private static ChronicleMapBuilder<Integer, byte[]> builder(Path file, int maxId) {
        return LockedChronicleFile.mapOf(Integer.class, byte[].class)
                .name("sluice-ids-" + file.getFileName())
                .constantValueSizeBySample(new byte[BLOCK_BYTES])
                .entries(maxId / IDS_PER_BLOCK + 2L);
    }

    /**
     * Writes the ids of {@code formatOne} as a format-2 file next to {@code file}, then moves it into place: a stop
     * before the move leaves the format-1 file as it was, and the next open migrates again.
     */
    private static void migrate(Path formatOne, Path file, int maxId, IdKeyFormat keys) throws IOException {
        long[] keyOfId = FormatOneIdFile.read(formatOne, maxId, keys);
        Path partial = file.resolveSibling(file.getFileName() + ".migrating");
        Files.deleteIfExists(partial);
        int migrated = 0;
        try (ChronicleMap<Integer, byte[]> target = builder(file, maxId).createPersistedTo(partial.toFile())) {
            ByteBuffer buffer = ByteBuffer.allocate(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            target.put(VERSION_BLOCK, versionBlock());
            for (int b = 0; b * IDS_PER_BLOCK < keyOfId.length; b++) {
                if (encode(keyOfId, b, buffer)) {
                    target.put(b, buffer.array());
                }
            }
            for (long key : keyOfId) {
                migrated += key == FREE ? 0 : 1;
            }
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("migrated {} ids from {} (format 1) to {} (format {})", migrated, formatOne, file, FORMAT_VERSION);
    }

    private static byte[] versionBlock() {
        return ByteBuffer.allocate(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, FORMAT_VERSION).array();
    }

    /** Fills {@code buffer} with block {@code b} of {@code keyOfId}; false when the block holds no id. */
    private static boolean encode(long[] keyOfId, int b, ByteBuffer buffer) {
        boolean any = false;
        for (int i = 0; i < IDS_PER_BLOCK; i++) {
            int id = b * IDS_PER_BLOCK + i;
            long key = id < keyOfId.length ? keyOfId[id] : FREE;
            buffer.putLong(i * Long.BYTES, key);
            any |= key != FREE;
        }
        return any;
    }

    private void load(boolean existed) {
        byte[] version;
        try {
            version = map.get(VERSION_BLOCK);
        } catch (RuntimeException e) {
            throw new IllegalStateException(file + ": not a Sluice id file (" + e + ")", e);
        }
        if (!existed && version == null) {
            map.put(VERSION_BLOCK, versionBlock());
            return;
        }
        Integer found = version == null || version.length != BLOCK_BYTES ? null
                : ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (found == null || found != FORMAT_VERSION) {
            throw new IllegalStateException(file + ": id file format version " + (found == null ? "missing" : found)
                    + ", this agent reads version " + FORMAT_VERSION
                    + "; move the file away to start with fresh ids (established connections may be disrupted)");
        }
        map.forEach((b, bytes) -> {
            if (b == VERSION_BLOCK) {
                return;
            }
            if (b < 0 || bytes.length != BLOCK_BYTES) {
                throw new IllegalStateException(file + ": block " + b + " of " + bytes.length + " bytes is not a block of "
                        + IDS_PER_BLOCK + " ids");
            }
            ByteBuffer ids = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < IDS_PER_BLOCK; i++) {
                long key = ids.getLong(i * Long.BYTES);
                if (key == FREE) {
                    continue;
                }
                long id = (long) b * IDS_PER_BLOCK + i;
                if (id < 1 || id > maxId) {
                    throw new IllegalStateException(file + ": " + keys.describe(key) + " has id " + id + ", outside 1.."
                            + maxId);
                }
                take((int) id, key);
                long indexed = idOfKey.get(key);
                if (indexed == NO_ID || indexed > id) {
                    idOfKey.put(key, id); // a key at two ids (the maps held it twice): the lower is its id
                }
            }
        });
        dirtyBlocks.clear(); // as the file holds them
    }

    /**
     * The id of {@code key}, allocating the lowest free one when it has none (persisted by the next
     * {@link #persist}).
     *
     * @throws IdSpaceExhaustedException when every id in {@code 1..maxId} is taken
     * @throws IllegalArgumentException  when the key is 0
     */
    public int idOf(long key) {
        requireOpen();
        long id = idOfKey.get(key);
        if (id != NO_ID) {
            return (int) id;
        }
        checkKey(key);
        int next = used.nextClearBit(lowestFree);
        lowestFree = next;
        if (next > maxId) {
            throw new IdSpaceExhaustedException(file, keys.describe(key), maxId);
        }
        take(next, key);
        idOfKey.put(key, next);
        lowestFree = next + 1;
        return next;
    }

    /** The id of {@code key}, or 0 when it has none. */
    public int find(long key) {
        requireOpen();
        return (int) idOfKey.get(key);
    }

    /** The key that holds {@code id}, or 0 when the id is free. */
    public long keyOf(int id) {
        requireOpen();
        return id >= 0 && id < keyOfId.length ? keyOfId[id] : FREE;
    }

    /**
     * Frees {@code key}'s id for reuse (persisted by the next {@link #persist}).
     *
     * @return the id released, or 0 when the key had none
     */
    public int release(long key) {
        requireOpen();
        long id = idOfKey.remove(key);
        if (id != NO_ID) {
            free((int) id);
        }
        return (int) id;
    }

    /**
     * Frees {@code id} for reuse, whichever key holds it (persisted by the next {@link #persist}).
     *
     * @return the key that held it, or 0 when it was free
     */
    public long releaseId(int id) {
        long key = keyOf(id);
        if (key != FREE) {
            if (idOfKey.get(key) == id) {
                idOfKey.remove(key);
            }
            free(id);
        }
        return key;
    }

    /**
     * Makes this allocator agree with what the pinned maps hold: {@code ids[i]} holds {@code keys[i]}. The maps win
     * over the file: a key the file gave another id takes the maps' id (its other id is freed unless a map holds it
     * too: then the lower is its id and the other stays held until {@link #releaseId released}), and a key the file gave one of these ids loses it.
     * Persists the result.
     *
     * @return how many ids changed key or were freed
     * @throws IllegalStateException naming the file when a map holds an id outside {@code 1..maxId}
     */
    public int restore(int[] ids, long[] keys) {
        requireOpen();
        if (ids.length != keys.length) {
            throw new IllegalArgumentException(ids.length + " ids for " + keys.length + " keys");
        }
        Long2LongHashMap keyInMaps = new Long2LongHashMap(ids.length, 0.65f, FREE);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 1 || ids[i] > maxId) {
                throw new IllegalStateException(file + ": the maps hold id " + Integer.toUnsignedString(ids[i]) + " for "
                        + this.keys.describe(keys[i]) + ", outside 1.." + maxId);
            }
            checkKey(keys[i]);
            keyInMaps.put(ids[i], keys[i]);
        }
        int changed = 0;
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            long key = keys[i];
            long before = keyOf(id);
            if (before != key) {
                if (before != FREE) {
                    if (idOfKey.get(before) == id) {
                        idOfKey.remove(before);
                    }
                    free(id);
                }
                take(id, key);
                changed++;
            }
            long indexed = idOfKey.get(key);
            if (indexed == NO_ID) {
                idOfKey.put(key, id);
            } else if (indexed != id && keyInMaps.get(indexed) != key) {
                free((int) indexed); // the file's id of the key, which no map holds for it
                idOfKey.put(key, id);
                changed++;
            } else if (id < indexed) {
                idOfKey.put(key, id); // the maps hold the key twice: the lower id is its id, as at open
            }
        }
        persist();
        return changed;
    }

    /**
     * Writes the blocks of the ids allocated and released since the last call; the file then holds every id handed
     * out. One put per block of 64 ids.
     *
     * @return the number of blocks written
     */
    public int persist() {
        requireOpen();
        int written = 0;
        for (int b = dirtyBlocks.nextSetBit(0); b >= 0; b = dirtyBlocks.nextSetBit(b + 1)) {
            write(b, encode(keyOfId, b, block) ? block.array() : null);
            dirtyBlocks.clear(b); // only once written: a failed put is retried by the next persist
            written++;
        }
        return written;
    }

    /**
     * Puts (or, for null, removes) block {@code b} in place, without reading back the value it replaces as
     * {@link ChronicleMap#put} does (a 512-byte array for each block written).
     */
    private void write(int b, byte[] value) {
        try (ExternalMapQueryContext<Integer, byte[], ?> query = map.queryContext(b)) {
            query.writeLock().lock();
            MapEntry<Integer, byte[]> entry = query.entry();
            if (value == null) {
                if (entry != null) {
                    query.remove(entry);
                }
            } else if (entry != null) {
                query.replaceValue(entry, query.wrapValueAsData(value));
            } else {
                query.insert(query.absentEntry(), query.wrapValueAsData(value));
            }
        }
    }

    /** Calls {@code action} with every id held and its key, in the order of the ids. */
    public void forEach(HeldId action) {
        requireOpen();
        for (int id = 1; id < keyOfId.length; id++) {
            if (keyOfId[id] != FREE) {
                action.accept(keyOfId[id], id);
            }
        }
    }

    /** How many ids are held. */
    public int size() {
        return held;
    }

    /** The largest id this allocator hands out. */
    public int maxId() {
        return maxId;
    }

    /** The persisted file. */
    public Path file() {
        return file;
    }

    /** What the keys stand for. */
    public IdKeyFormat keys() {
        return keys;
    }

    private void take(int id, long key) {
        if (id >= keyOfId.length) {
            long grown = Math.max(id + 1L, keyOfId.length + (keyOfId.length >> 1));
            keyOfId = Arrays.copyOf(keyOfId, (int) Math.min(grown, maxId + 1L));
        }
        keyOfId[id] = key;
        used.set(id);
        held++;
        dirtyBlocks.set(id / IDS_PER_BLOCK);
    }

    private void free(int id) {
        keyOfId[id] = FREE;
        used.clear(id);
        held--;
        dirtyBlocks.set(id / IDS_PER_BLOCK);
        lowestFree = Math.min(lowestFree, id);
    }

    private static void checkKey(long key) {
        if (key == FREE) {
            throw new IllegalArgumentException("id key 0 is reserved for free ids");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(file + ": allocator is closed");
        }
    }

    /** Persists what changed and closes the file; ids stay persisted for the next {@link #open}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            persist();
        } finally {
            closed = true;
            locked.close();
        }
    }
}
