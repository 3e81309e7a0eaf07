package io.sluice.agent.ids;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.function.BiConsumer;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.agrona.collections.Object2IntHashMap;

/**
 * Gives each string key (a service frontend such as {@code svc:default/web:80:TCP:10.96.0.10}, a backend such as
 * {@code 10.0.0.5:8080/TCP}) a stable u32 id in {@code 1..maxId}, persisted in a Chronicle Map file under the
 * agent's state directory, so that a restarted agent gives the same objects the same ids and the pinned BPF maps
 * stay valid. 0 is never allocated: BPF maps use it for "none".
 *
 * <p>A released id is free for reuse; allocation takes the lowest free id, which keeps ids dense (array-map
 * friendly) and deterministic.
 *
 * <p>The file carries a format version, checked at open: a file of another version, or one that is not an id
 * file, is refused with an error naming it. A lock file ({@code FILE.lock}) keeps two agents from sharing one file.
 * An existing file is opened in recovery mode, which repairs what a killed agent may have left half-written.
 *
 * <p>Threads: one owner (the writer thread); not thread-safe.
 */
public final class StableIdAllocator implements AutoCloseable {
    /** The version of the file's content; bump it when the meaning of keys or ids changes. */
    public static final int FORMAT_VERSION = 1;
    /** Where the version lives: a key no caller can use, as keys may not contain NUL. */
    static final String VERSION_KEY = "\u0000sluice-id-format-version";
    /** Longest key accepted. */
    public static final int MAX_KEY_LENGTH = 512;
    private static final double AVERAGE_KEY_SIZE = 48;
    /** What {@link #ids} answers for a key without an id (ids start at 1). */
    private static final int NO_ID = 0;

    private final Path file;
    private final int maxId;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ChronicleMap<CharSequence, Integer> map;
    /** The ids held, without a boxed Integer and a map node per key (110,000 backends and frontends at scale). */
    private final Object2IntHashMap<String> ids = new Object2IntHashMap<>(NO_ID);
    private final BitSet used = new BitSet();
    /**
     * No id below this one is free: allocation searches from here, not from 1, so a first sync of 100,000 keys does
     * not scan the ids it already handed out again for each new key (quadratic in the number of keys).
     */
    private int lowestFree = 1;
    private boolean closed;

    private StableIdAllocator(Path file, int maxId, FileChannel lockChannel, FileLock lock,
                              ChronicleMap<CharSequence, Integer> map) {
        this.file = file;
        this.maxId = maxId;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.map = map;
    }

    /**
     * Opens the id file {@code file}, creating it (and its directory) when absent.
     *
     * @param maxId the largest id to hand out (the capacity of the BPF map the ids index)
     * @throws IllegalStateException naming the file when it is locked by another agent, of another format version,
     *                               not an id file, or holds ids above {@code maxId}
     */
    public static StableIdAllocator open(Path file, int maxId) {
        if (maxId < 1) {
            throw new IllegalArgumentException("maxId must be at least 1, got " + maxId);
        }
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        FileChannel lockChannel = null;
        ChronicleMap<CharSequence, Integer> map = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = tryLock(lockChannel);
            if (lock == null) {
                throw new IllegalStateException(file + ": in use by another agent (lock " + lockFile + " is held)");
            }
            boolean exists = Files.exists(file);
            ChronicleMapBuilder<CharSequence, Integer> builder = ChronicleMap.of(CharSequence.class, Integer.class)
                    .name("sluice-ids-" + file.getFileName())
                    .averageKeySize(AVERAGE_KEY_SIZE)
                    .entries(maxId + 1L);
            try {
                // Recovery (with the file's own stored configuration) also repairs locks left by a killed agent.
                map = exists ? builder.recoverPersistedTo(file.toFile(), false) : builder.createPersistedTo(file.toFile());
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException(file + ": not a Sluice id file, or damaged: " + e, e);
            }
            StableIdAllocator allocator = new StableIdAllocator(file, maxId, lockChannel, lock, map);
            allocator.load(exists);
            return allocator;
        } catch (IOException e) {
            closeQuietly(map, lockChannel);
            throw new IllegalStateException(file + ": cannot open: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(map, lockChannel);
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by this JVM
        }
    }

    private static void closeQuietly(ChronicleMap<?, ?> map, FileChannel channel) {
        if (map != null) {
            map.close();
        }
        if (channel != null) {
            try {
                channel.close(); // releases the lock
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }

    private void load(boolean existed) {
        Object version;
        try {
            version = map.get(VERSION_KEY);
        } catch (RuntimeException e) {
            throw new IllegalStateException(file + ": not a Sluice id file (" + e + ")", e);
        }
        if (!existed && version == null) {
            map.put(VERSION_KEY, FORMAT_VERSION);
            return;
        }
        if (!Integer.valueOf(FORMAT_VERSION).equals(version)) {
            throw new IllegalStateException(file + ": id file format version " + (version == null ? "missing" : version)
                    + ", this agent reads version " + FORMAT_VERSION
                    + "; move the file away to start with fresh ids (established connections may be disrupted)");
        }
        map.forEach((key, id) -> {
            String k = key.toString();
            if (k.equals(VERSION_KEY)) {
                return;
            }
            if (id == null || id < 1 || id > maxId) {
                throw new IllegalStateException(file + ": key \"" + k + "\" has id " + id + ", outside 1.." + maxId);
            }
            if (used.get(id)) {
                throw new IllegalStateException(file + ": id " + id + " is held by two keys, one is \"" + k + "\"");
            }
            used.set(id);
            ids.put(k, id);
        });
    }

    /**
     * The id of {@code key}, allocating (and persisting) the lowest free one when it has none.
     *
     * @throws IdSpaceExhaustedException when every id in {@code 1..maxId} is taken
     * @throws IllegalArgumentException  when the key is empty, too long, or contains NUL
     */
    public int idOf(String key) {
        requireOpen();
        int id = ids.getValue(key);
        if (id != NO_ID) {
            return id;
        }
        checkKey(key);
        int next = used.nextClearBit(lowestFree);
        if (next > maxId) {
            lowestFree = next;
            throw new IdSpaceExhaustedException(file, key, maxId);
        }
        map.put(key, next); // persisted before it is handed out
        used.set(next);
        lowestFree = next + 1;
        ids.put(key, next);
        return next;
    }

    /** The id of {@code key}, or 0 when it has none. */
    public int find(String key) {
        requireOpen();
        return ids.getValue(key);
    }

    /**
     * Frees {@code key}'s id for reuse.
     *
     * @return the id released, or 0 when the key had none
     */
    public int release(String key) {
        requireOpen();
        int id = ids.removeKey(key);
        if (id == NO_ID) {
            return 0;
        }
        map.remove(key);
        used.clear(id);
        lowestFree = Math.min(lowestFree, id);
        return id;
    }

    /** Calls {@code action} with every (key, id) held, in no particular order. */
    public void forEach(BiConsumer<String, Integer> action) {
        requireOpen();
        ids.forEach(action);
    }

    /** How many keys hold an id. */
    public int size() {
        return ids.size();
    }

    /** The largest id this allocator hands out. */
    public int maxId() {
        return maxId;
    }

    /** The persisted file. */
    public Path file() {
        return file;
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("id key must not be empty");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("id key longer than " + MAX_KEY_LENGTH + " characters: \""
                    + key.substring(0, 40) + "...\"");
        }
        if (key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("id key contains NUL: \"" + key.replace('\0', '?') + "\"");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(file + ": allocator is closed");
        }
    }

    /** Closes the file; ids stay persisted for the next {@link #open}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        map.close();
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(null, lockChannel);
    }
}
