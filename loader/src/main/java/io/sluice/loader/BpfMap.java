package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A BPF map: one of a {@link BpfObject}'s maps (owned by it; {@link #close()} does nothing) or a standalone map
 * opened from a pin with {@link #openPinned}, by id with {@link #openById} or made with {@link #create} (which owns
 * its descriptor; close it). Operations take keys and
 * values as native {@link MemorySegment}s of exactly {@link #keySize()} and {@link #valueBufferSize()} bytes; a
 * segment of the wrong size or a heap segment is refused with {@link IllegalArgumentException} before any
 * syscall. Per-CPU maps take and return one value per possible CPU, each rounded up to 8 bytes.
 *
 * <p>Errors: a missing key is {@code false} from {@link #lookup}/{@link #delete}/{@link #nextKey}; a full map
 * is {@link MapFullException}; any other failure is {@link BpfException} naming the call, the map and errno.
 *
 * <p>Thread safety: the element and batch operations may be called from any number of threads at once (the
 * kernel serialises them; the few bytes of scratch memory the batch calls need are per thread, so nothing is
 * allocated per call). Pinning, {@link #close()} and the owning object's lifecycle belong to the owner thread.
 * The segments passed in are read and written by the calling thread only.
 */
public final class BpfMap implements AutoCloseable {
    /** Per-thread scratch for batch calls: a u32 count at 0, struct bpf_map_batch_opts at 8. */
    private static final ThreadLocal<MemorySegment> BATCH_SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8 + LibBpf.MAP_BATCH_OPTS_SIZE, 8));

    private final BpfObject owner;
    private final MemorySegment handle;
    private final String name;
    private final MapType type;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int flags;
    private final boolean internal;
    private final long valueBufferSize;
    private int fd;

    private BpfMap(BpfObject owner, MemorySegment handle, int fd, String name, int type, int keySize, int valueSize,
                   int maxEntries, int flags, boolean internal) {
        this.owner = owner;
        this.handle = handle;
        this.fd = fd;
        this.name = name;
        this.type = MapType.of(type);
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.flags = flags;
        this.internal = internal;
        this.valueBufferSize = this.type.isPerCpu()
                ? ((valueSize + 7L) & ~7L) * LibBpf.possibleCpus()
                : valueSize;
    }

    static BpfMap ofObject(BpfObject owner, MemorySegment map) throws Throwable {
        return new BpfMap(owner, map, -1,
                Native.string((MemorySegment) LibBpf.bpf_map__name.HANDLE.invokeExact(map)),
                (int) LibBpf.bpf_map__type.HANDLE.invokeExact(map),
                (int) LibBpf.bpf_map__key_size.HANDLE.invokeExact(map),
                (int) LibBpf.bpf_map__value_size.HANDLE.invokeExact(map),
                (int) LibBpf.bpf_map__max_entries.HANDLE.invokeExact(map),
                (int) LibBpf.bpf_map__map_flags.HANDLE.invokeExact(map),
                (boolean) LibBpf.bpf_map__is_internal.HANDLE.invokeExact(map));
    }

    /**
     * Opens the map pinned at {@code path} (bpf_obj_get); its name, type and sizes come from the kernel
     * (bpf_obj_get_info_by_fd). The returned map owns its descriptor: close it.
     *
     * @throws IllegalArgumentException if the pinned object is not a map
     */
    public static BpfMap openPinned(Path path) {
        int fd = ObjectInfo.openPinned(path, "BPF map");
        try {
            if (ObjectInfo.kind(fd) != ObjectInfo.Kind.MAP) {
                throw new IllegalArgumentException("the BPF object pinned at " + path + " is not a map");
            }
            return ofDescriptor(fd, "BPF map pinned at " + path);
        } catch (RuntimeException | Error e) {
            LibC.close(fd, "BPF object pinned at " + path);
            throw e;
        }
    }

    /**
     * Creates a map that belongs to no object (bpf_map_create), e.g. an inner map to store in a map of maps. The
     * returned map owns its descriptor: close it (a map of maps that holds it keeps the map alive).
     *
     * @param name  at most 15 characters: letters, digits, {@code _} and {@code .}
     * @param flags creation flags ({@code BPF_F_*}); an inner map needs the flags of its outer map's template
     */
    public static BpfMap create(MapType type, String name, int keySize, int valueSize, int maxEntries, int flags) {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = arena.allocate(LibBpf.MAP_CREATE_OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, LibBpf.MAP_CREATE_OPTS_SIZE);
            opts.set(JAVA_INT, LibBpf.MAP_CREATE_OPTS_MAP_FLAGS, flags);
            fd = (int) LibBpf.bpf_map_create.HANDLE.invokeExact(type.ordinal(), arena.allocateFrom(name), keySize, valueSize,
                    maxEntries, opts);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new BpfException("bpf_map_create", type + " map '" + name + "' (key " + keySize + ", value " + valueSize
                    + ", max_entries " + maxEntries + ", flags 0x" + Integer.toHexString(flags) + ")", fd);
        }
        try {
            return ofDescriptor(fd, "BPF map '" + name + "'");
        } catch (RuntimeException | Error e) {
            LibC.close(fd, "BPF map '" + name + "'");
            throw e;
        }
    }

    /**
     * Opens the map with kernel id {@code id} (bpf_map_get_fd_by_id), e.g. the inner map a map of maps returns as
     * its value in user space. The returned map owns its descriptor: close it.
     *
     * @return empty if no map has that id (any more)
     */
    public static Optional<BpfMap> openById(int id) {
        int fd;
        try {
            fd = (int) LibBpf.bpf_map_get_fd_by_id.HANDLE.invokeExact(id);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd == -Errno.ENOENT) {
            return Optional.empty();
        }
        if (fd < 0) {
            throw new BpfException("bpf_map_get_fd_by_id", "BPF map id " + Integer.toUnsignedString(id), fd);
        }
        try {
            return Optional.of(ofDescriptor(fd, "BPF map id " + Integer.toUnsignedString(id)));
        } catch (RuntimeException | Error e) {
            LibC.close(fd, "BPF map id " + Integer.toUnsignedString(id));
            throw e;
        }
    }

    /** A standalone map around {@code fd}, described by the kernel (bpf_obj_get_info_by_fd). */
    private static BpfMap ofDescriptor(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = ObjectInfo.read(arena, fd, LibBpf.MAP_INFO_SIZE, what);
            String name = info.asSlice(LibBpf.MAP_INFO_NAME, LibBpf.OBJ_NAME_LEN).getString(0);
            return new BpfMap(null, MemorySegment.NULL, fd, name, info.get(JAVA_INT, LibBpf.MAP_INFO_TYPE),
                    info.get(JAVA_INT, LibBpf.MAP_INFO_KEY_SIZE), info.get(JAVA_INT, LibBpf.MAP_INFO_VALUE_SIZE),
                    info.get(JAVA_INT, LibBpf.MAP_INFO_MAX_ENTRIES), info.get(JAVA_INT, LibBpf.MAP_INFO_MAP_FLAGS), false);
        }
    }

    // --- description --------------------------------------------------------------------------------------------

    /** The map's name as declared in C (for a pinned map, the kernel's name, at most 15 characters). */
    public String name() {
        return name;
    }

    /** The map's type. */
    public MapType type() {
        return type;
    }

    /** Key size in bytes. */
    public int keySize() {
        return keySize;
    }

    /** Value size in bytes as declared (for a per-CPU map, of one CPU's value). */
    public int valueSize() {
        return valueSize;
    }

    /** The bytes a value segment must have: {@link #valueSize()}, or for per-CPU maps round_up(valueSize, 8) × possible CPUs. */
    public long valueBufferSize() {
        return valueBufferSize;
    }

    /** libbpf's {@code struct bpf_map *} of an object's map; NULL for a map that belongs to no object. */
    MemorySegment handle() {
        return handle;
    }

    /** Maximum number of entries. */
    public int maxEntries() {
        return maxEntries;
    }

    /** The map's creation flags ({@code BPF_F_*}). */
    public int flags() {
        return flags;
    }

    /** The map's file descriptor (owned by the object, or by this map when opened from a pin). */
    public int fd() {
        if (fd < 0) {
            if (owner != null) {
                owner.ensureLoaded("map '" + name + "'");
            }
            throw new IllegalStateException(describe() + " is closed");
        }
        return fd;
    }

    /** The kernel's id of the map. */
    public int id() {
        try (Arena arena = Arena.ofConfined()) {
            return ObjectInfo.read(arena, fd(), LibBpf.MAP_INFO_SIZE, describe()).get(JAVA_INT, LibBpf.MAP_INFO_ID);
        }
    }

    /** Whether libbpf made this map for the object's global variables ({@code .data}, {@code .bss}, {@code .rodata}). */
    public boolean isInternal() {
        return internal;
    }

    /** Whether libbpf pinned this map (or adopted a pin) at load, see {@link BpfObject#pinMapsUnder}. */
    public boolean isPinnedByLoad() {
        if (owner == null) {
            return false;
        }
        try {
            return (boolean) LibBpf.bpf_map__is_pinned.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // --- element operations (hot path) --------------------------------------------------------------------------

    /**
     * Copies the value of {@code key} into {@code valueOut} (bpf_map_lookup_elem).
     *
     * @return false if the key is absent
     */
    public boolean lookup(MemorySegment key, MemorySegment valueOut) {
        checkKey(key, "key");
        checkValue(valueOut, "value");
        int rc;
        try {
            rc = (int) LibBpf.bpf_map_lookup_elem.HANDLE.invokeExact(fd(), key, valueOut);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return foundOrAbsent("bpf_map_lookup_elem", rc);
    }

    /**
     * Writes {@code value} at {@code key} (bpf_map_update_elem).
     *
     * @throws MapFullException if the map has no room for a new key
     * @throws BpfException     with EEXIST for {@link UpdateFlag#NOEXIST} on an existing key, ENOENT for
     *                          {@link UpdateFlag#EXIST} on a missing one
     */
    public void update(MemorySegment key, MemorySegment value, UpdateFlag flag) {
        checkKey(key, "key");
        checkValue(value, "value");
        int rc;
        try {
            rc = (int) LibBpf.bpf_map_update_elem.HANDLE.invokeExact(fd(), key, value, flag.value());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw failure("bpf_map_update_elem", rc, null);
        }
    }

    /**
     * Removes {@code key} (bpf_map_delete_elem).
     *
     * @return false if the key was absent
     */
    public boolean delete(MemorySegment key) {
        checkKey(key, "key");
        int rc;
        try {
            rc = (int) LibBpf.bpf_map_delete_elem.HANDLE.invokeExact(fd(), key);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return foundOrAbsent("bpf_map_delete_elem", rc);
    }

    /**
     * Writes the key after {@code key} (or the first key, for null) into {@code nextOut} (bpf_map_get_next_key).
     *
     * @return false when there is no further key
     */
    public boolean nextKey(MemorySegment key, MemorySegment nextOut) {
        if (key != null) {
            checkKey(key, "key");
        }
        checkKey(nextOut, "next key");
        MemorySegment from = key == null ? MemorySegment.NULL : key;
        int rc;
        try {
            rc = (int) LibBpf.bpf_map_get_next_key.HANDLE.invokeExact(fd(), from, nextOut);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return foundOrAbsent("bpf_map_get_next_key", rc);
    }

    /**
     * Calls {@code action} with every key, in the kernel's order. The segment is reused: copy what must outlive the
     * call. Keys added or removed meanwhile may or may not be seen; removing the current key from {@code action}
     * makes a hash map restart from its first key, so collect keys first to delete them.
     */
    public void forEachKey(Consumer<MemorySegment> action) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment current = arena.allocate(Math.max(keySize, 1), 8).asSlice(0, keySize);
            MemorySegment next = arena.allocate(Math.max(keySize, 1), 8).asSlice(0, keySize);
            boolean more = nextKey(null, current);
            while (more) {
                action.accept(current.asReadOnly());
                more = nextKey(current, next);
                MemorySegment swap = current;
                current = next;
                next = swap;
            }
        }
    }

    /** Calls {@code action} with every key and its value (see {@link #forEachKey} for the order and reuse rules). */
    public void forEach(BiConsumer<MemorySegment, MemorySegment> action) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(valueBufferSize, 8);
            forEachKey(key -> {
                if (lookup(key, value)) {
                    action.accept(key, value.asReadOnly());
                }
            });
        }
    }

    // --- batch operations ---------------------------------------------------------------------------------------

    /**
     * Writes {@code count} entries in one syscall (bpf_map_update_batch): key i at {@code i * keySize} of
     * {@code keys}, value i at {@code i * valueBufferSize} of {@code values}.
     *
     * @throws MapFullException when the map filled up; its message says how many entries were written
     */
    public void updateBatch(MemorySegment keys, MemorySegment values, int count, UpdateFlag flag) {
        checkBatch(keys, keySize, count, "keys");
        checkBatch(values, valueBufferSize, count, "values");
        MemorySegment scratch = batchScratch(count, flag.value());
        int rc;
        try {
            rc = (int) LibBpf.bpf_map_update_batch.HANDLE.invokeExact(fd(), keys, values, scratch, scratch.asSlice(8));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw failure("bpf_map_update_batch", rc, scratch.get(JAVA_INT, 0) + " of " + count + " entries were written");
        }
    }

    /**
     * Removes {@code count} keys in one syscall (bpf_map_delete_batch). The kernel stops at the first key that is
     * absent.
     *
     * @return the number removed: {@code count}, or fewer if a key was absent (the keys after it are untouched)
     */
    public int deleteBatch(MemorySegment keys, int count) {
        checkBatch(keys, keySize, count, "keys");
        MemorySegment scratch = batchScratch(count, 0);
        int rc;
        try {
            rc = (int) LibBpf.bpf_map_delete_batch.HANDLE.invokeExact(fd(), keys, scratch, scratch.asSlice(8));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        int deleted = scratch.get(JAVA_INT, 0);
        if (rc < 0 && rc != -Errno.ENOENT) {
            throw new BpfException("bpf_map_delete_batch", describe(), rc, deleted + " of " + count + " keys were deleted", "");
        }
        return deleted;
    }

    /** A position in a batch read of this map; see {@link #lookupBatch}. Confined to the thread that uses it. */
    public static final class BatchCursor {
        private final BpfMap map;
        private final MemorySegment inBatch;
        private final MemorySegment outBatch;
        private boolean started;
        private boolean done;

        private BatchCursor(BpfMap map) {
            this.map = map;
            // The kernel's batch token is a key for array maps and a u32 bucket for hash maps.
            long size = Math.max(8, (map.keySize + 7L) & ~7L);
            Arena arena = Arena.ofAuto();
            this.inBatch = arena.allocate(size, 8);
            this.outBatch = arena.allocate(size, 8);
        }

        /** Whether the last {@link #lookupBatch} reached the end of the map. */
        public boolean isDone() {
            return done;
        }
    }

    /** A cursor at the start of this map, for {@link #lookupBatch}. */
    public BatchCursor batchCursor() {
        return new BatchCursor(this);
    }

    /**
     * Reads up to {@code count} entries after {@code cursor} in one syscall (bpf_map_lookup_batch), into
     * {@code keysOut} and {@code valuesOut} laid out as for {@link #updateBatch}, and advances the cursor. Call
     * until {@link BatchCursor#isDone()}; the last call may return fewer entries, or none.
     *
     * @return the number of entries read
     * @throws BpfException with ENOSPC if a hash bucket holds more entries than {@code count}: read with a bigger count
     */
    public int lookupBatch(BatchCursor cursor, MemorySegment keysOut, MemorySegment valuesOut, int count) {
        if (cursor.map != this) {
            throw new IllegalArgumentException("batch cursor of map '" + cursor.map.name + "' used on " + describe());
        }
        if (cursor.done) {
            return 0;
        }
        checkBatch(keysOut, keySize, count, "keys");
        checkBatch(valuesOut, valueBufferSize, count, "values");
        MemorySegment scratch = batchScratch(count, 0);
        MemorySegment in = cursor.started ? cursor.inBatch : MemorySegment.NULL;
        int rc;
        try {
            rc = (int) LibBpf.bpf_map_lookup_batch.HANDLE.invokeExact(fd(), in, cursor.outBatch, keysOut, valuesOut, scratch,
                    scratch.asSlice(8));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        int read = scratch.get(JAVA_INT, 0);
        if (rc == -Errno.ENOENT) {
            cursor.done = true;
            return read;
        }
        if (rc < 0) {
            throw new BpfException("bpf_map_lookup_batch", describe(), rc, "batch of " + count + " entries", "");
        }
        cursor.inBatch.copyFrom(cursor.outBatch);
        cursor.started = true;
        return read;
    }

    // --- pins ---------------------------------------------------------------------------------------------------

    /** Pins the map at {@code path} (bpf_obj_pin); its folder must be on bpffs. */
    public void pin(Path path) {
        ObjectInfo.pin(fd(), path, describe());
    }

    /**
     * Removes the pin at {@code path}, after checking that it is this map's pin (same kernel id).
     *
     * @throws IllegalArgumentException if {@code path} pins another object
     */
    public void unpin(Path path) {
        int ownId = id();
        try (BpfMap pinned = openPinned(path)) {
            if (pinned.id() != ownId) {
                throw new IllegalArgumentException(path + " pins map '" + pinned.name() + "' (id " + pinned.id() + "), not "
                        + describe() + " (id " + ownId + ")");
            }
        }
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException("unpinning " + describe() + " at " + path, e);
        }
    }

    // --- lifecycle ----------------------------------------------------------------------------------------------

    void setPinPath(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) LibBpf.bpf_map__set_pin_path.HANDLE.invokeExact(handle, arena.allocateFrom(path.toString()));
            if (rc < 0) {
                throw new BpfException("bpf_map__set_pin_path", describe() + " at " + path, rc);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void loaded() {
        try {
            fd = (int) LibBpf.bpf_map__fd.HANDLE.invokeExact(handle);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void ownerClosed() {
        fd = -1;
    }

    /** Closes the descriptor of a map opened with {@link #openPinned}; does nothing for an object's map. Idempotent. */
    @Override
    public void close() {
        if (owner == null && fd >= 0) {
            int closing = fd;
            fd = -1;
            LibC.close(closing, describe());
        }
    }

    // --- checks -------------------------------------------------------------------------------------------------

    /** The result of a call on one key: 0 means found, -ENOENT absent; any other return throws naming {@code call}. */
    private boolean foundOrAbsent(String call, int rc) {
        if (rc == 0) {
            return true;
        }
        if (rc == -Errno.ENOENT) {
            return false;
        }
        throw new BpfException(call, describe(), rc);
    }

    private void checkKey(MemorySegment key, String what) {
        if (key.byteSize() != keySize || !key.isNative()) {
            throw wrongSegment(what, keySize, key);
        }
    }

    private void checkValue(MemorySegment value, String what) {
        if (value.byteSize() != valueBufferSize || !value.isNative()) {
            throw wrongSegment(what, valueBufferSize, value);
        }
    }

    private IllegalArgumentException wrongSegment(String what, long expected, MemorySegment actual) {
        if (!actual.isNative()) {
            return new IllegalArgumentException(describe() + ": " + what + " must be a native segment, got a heap segment");
        }
        String perCpu = type.isPerCpu() && what.startsWith("value")
                ? " (per-CPU: round_up(" + valueSize + ", 8) x " + LibBpf.possibleCpus() + " CPUs)" : "";
        return new IllegalArgumentException(describe() + ": " + what + " must be " + expected + " bytes" + perCpu + ", got "
                + actual.byteSize());
    }

    private void checkBatch(MemorySegment segment, long elementSize, int count, String what) {
        if (count < 1) {
            throw new IllegalArgumentException(describe() + ": batch count must be at least 1, got " + count);
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException(describe() + ": " + what + " must be a native segment, got a heap segment");
        }
        long needed = elementSize * count;
        if (segment.byteSize() < needed) {
            throw new IllegalArgumentException(describe() + ": " + what + " segment of " + segment.byteSize()
                    + " bytes is too small for " + count + " x " + elementSize + " = " + needed + " bytes");
        }
    }

    private static MemorySegment batchScratch(int count, long elemFlags) {
        MemorySegment scratch = BATCH_SCRATCH.get();
        scratch.set(JAVA_INT, 0, count);
        scratch.set(JAVA_LONG, 8, LibBpf.MAP_BATCH_OPTS_SIZE);
        scratch.set(JAVA_LONG, 8 + LibBpf.MAP_BATCH_OPTS_ELEM_FLAGS, elemFlags);
        scratch.set(JAVA_LONG, 8 + 16, 0L);
        return scratch;
    }

    private BpfException failure(String call, int rc, String detail) {
        boolean array = type == MapType.ARRAY || type == MapType.PERCPU_ARRAY || type == MapType.PROG_ARRAY
                || type == MapType.ARRAY_OF_MAPS;
        if (array && rc == -Errno.E2BIG) {
            String index = "an index is beyond max_entries " + maxEntries + (detail == null ? "" : "; " + detail);
            return new BpfException(call, describe(), rc, index, "");
        }
        if (rc == -Errno.E2BIG || rc == -Errno.ENOSPC) {
            String full = "map is full (" + maxEntries + " entries)" + (detail == null ? "" : "; " + detail);
            return new MapFullException(call, describe(), rc, full);
        }
        return new BpfException(call, describe(), rc, detail, "");
    }

    String describe() {
        return owner == null ? "map '" + name + "'" : "map '" + name + "' of BPF object '" + owner.name() + "'";
    }

    @Override
    public String toString() {
        return "BpfMap[" + name + ", " + type + ", key " + keySize + ", value " + valueSize + ", max " + maxEntries + "]";
    }
}
