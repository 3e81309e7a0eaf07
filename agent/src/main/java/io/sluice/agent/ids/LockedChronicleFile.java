package io.sluice.agent.ids;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * A persisted Chronicle Map file that one agent holds at a time: the agent's id and identity files.
 *
 * <p>A lock file beside it ({@code FILE.lock}) holds an OS file lock while the map is open, so a second agent (or a
 * second opener in the same JVM) is refused with an error naming the file, and the lock goes with the process when an
 * agent is killed. An existing file is opened in recovery mode, with its own stored configuration: that repairs what a
 * killed agent may have left behind (segment locks still held, an entry half written). Closing closes the map, then
 * releases the lock.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class LockedChronicleFile<K, V> implements AutoCloseable {
    private final Path file;
    private final FileChannel lockChannel;
    private final ChronicleMap<K, V> map;
    private final boolean existed;
    private boolean closed;

    static {
        // Before Chronicle's first class initialises (callers reach Chronicle through mapOf, so this class comes
        // first): Chronicle would otherwise load jnr-ffi, and run ldconfig, for its two system calls.
        ChroniclePosixCalls.install();
    }

    /** Work done under the lock before the map opens, such as moving an older file's content into place. */
    @FunctionalInterface
    public interface BeforeOpen {
        void run() throws IOException;
    }

    private LockedChronicleFile(Path file, FileChannel lockChannel, ChronicleMap<K, V> map, boolean existed) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.map = map;
        this.existed = existed;
    }

    /**
     * A builder for a map of these types: {@link ChronicleMap#of}, after this class has set the POSIX calls
     * Chronicle makes ({@link ChroniclePosixCalls}) and Chronicle's classes are loaded ({@link ChronicleClasses}, if
     * it was started). Build the agent's maps from here, not from {@code ChronicleMap}.
     */
    public static <K, V> ChronicleMapBuilder<K, V> mapOf(Class<K> keyClass, Class<V> valueClass) {
        ChronicleClasses.awaitLoaded();
        return ChronicleMap.of(keyClass, valueClass);
    }

    /** {@link #open(Path, String, ChronicleMapBuilder, BeforeOpen)} with nothing to do before the map opens. */
    public static <K, V> LockedChronicleFile<K, V> open(Path file, String kind, ChronicleMapBuilder<K, V> builder) {
        return open(file, kind, builder, () -> { });
    }

    /**
     * Locks {@code file} (creating its directory when absent), runs {@code beforeOpen}, then opens the map: recovered
     * when the file exists by then, else created empty with {@code builder}.
     *
     * @param kind what the file is, for errors ("Sluice id file")
     * @throws IllegalStateException starting with the file's name when its lock is held, the file is not a Chronicle
     *                               Map of {@code builder}'s types or is damaged, or it cannot be read; the lock is
     *                               released again then
     */
    public static <K, V> LockedChronicleFile<K, V> open(Path file, String kind, ChronicleMapBuilder<K, V> builder,
                                                        BeforeOpen beforeOpen) {
        Path lockFile = lockFileOf(file);
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (tryLock(lockChannel) == null) {
                throw new IllegalStateException(file + ": in use by another agent (lock " + lockFile + " is held)");
            }
            beforeOpen.run();
            boolean existed = Files.exists(file);
            ChronicleMap<K, V> map;
            try {
                map = existed ? builder.recoverPersistedTo(file.toFile(), false) : builder.createPersistedTo(file.toFile());
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException(file + ": not a " + kind + ", or damaged: " + e, e);
            }
            return new LockedChronicleFile<>(file, lockChannel, map, existed);
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw new IllegalStateException(file + ": cannot open: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(lockChannel);
            throw e;
        }
    }

    /** The lock file that guards {@code file}. */
    public static Path lockFileOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".lock");
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by this JVM
        }
    }

    private static void closeQuietly(FileChannel lockChannel) {
        if (lockChannel != null) {
            try {
                lockChannel.close(); // releases the lock
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }

    /** The open map; not usable after {@link #close}. */
    public ChronicleMap<K, V> map() {
        return map;
    }

    /** The persisted file. */
    public Path file() {
        return file;
    }

    /** Whether the file was there when the map opened (after {@code beforeOpen}); false: it was created empty. */
    public boolean existed() {
        return existed;
    }

    /** Closes the map, then releases the lock; the file stays for the next {@link #open}. Closing twice does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            map.close();
        } finally {
            closeQuietly(lockChannel);
        }
    }
}
