package io.sluice.maps;

import io.sluice.loader.BpfMap;
import io.sluice.loader.UpdateFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A BPF map read and written as Java values through the codecs of its C key and value structs. The key and
 * value segments are allocated once and reused, so single operations allocate no native memory.
 *
 * <p>Used by one thread at a time (the agent's writer): the reused segments are not guarded.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class TypedMap<K, V> implements AutoCloseable {
    private final BpfMap map;
    private final Codec<K> keyCodec;
    private final Codec<V> valueCodec;
    private final Arena arena = Arena.ofShared(); // handed from the start-up thread to the writer
    private final MemorySegment key;
    private final MemorySegment value;

    /**
     * Wraps {@code map}; refuses codecs whose sizes differ from the map's key and value sizes, naming the map.
     */
    public TypedMap(BpfMap map, Codec<K> keyCodec, Codec<V> valueCodec) {
        this.map = map;
        this.keyCodec = keyCodec;
        this.valueCodec = valueCodec;
        checkSize("key", keyCodec.layout().byteSize(), map.keySize());
        checkSize("value", valueCodec.layout().byteSize(), map.valueSize());
        this.key = arena.allocate(map.keySize(), 8);
        this.value = arena.allocate(map.valueBufferSize(), 8);
    }

    private void checkSize(String what, long codecSize, int mapSize) {
        if (codecSize != mapSize) {
            throw new IllegalArgumentException("map '" + map.name() + "': " + what + " is " + mapSize
                    + " bytes in the kernel but the Java layout has " + codecSize);
        }
    }

    /** The underlying map. */
    public BpfMap map() {
        return map;
    }

    /** The value at {@code k}, if present. */
    public Optional<V> get(K k) {
        keyCodec.encode(k, key);
        return map.lookup(key, value) ? Optional.of(valueCodec.decode(value)) : Optional.empty();
    }

    /** Creates or replaces the value at {@code k}. */
    public void put(K k, V v) {
        put(k, v, UpdateFlag.ANY);
    }

    /** Writes the value at {@code k} with the given create/replace rule. */
    public void put(K k, V v, UpdateFlag flag) {
        keyCodec.encode(k, key);
        valueCodec.encode(v, value);
        map.update(key, value, flag);
    }

    /** Removes {@code k}; false if it was absent. */
    public boolean remove(K k) {
        keyCodec.encode(k, key);
        return map.delete(key);
    }

    /** Writes all entries with one batch syscall. */
    public void putAll(Map<K, V> entries) {
        if (entries.isEmpty()) {
            return;
        }
        Iterator<Map.Entry<K, V>> next = entries.entrySet().iterator();
        putAll(entries.size(), (index, k, v) -> {
            Map.Entry<K, V> e = next.next();
            keyCodec.encode(e.getKey(), k);
            valueCodec.encode(e.getValue(), v);
        });
    }

    /** Writes one entry of a batch: its key and value, in this map's C layouts, into the segments it is given. */
    @FunctionalInterface
    public interface EntryEncoder {
        /** Encodes entry {@code index} (called for 0, 1, ... in order) into {@code key} and {@code value}. */
        void encode(int index, MemorySegment key, MemorySegment value);
    }

    /**
     * Writes {@code count} entries with one batch syscall, each encoded by {@code entries}: no key or value object per
     * entry for a caller that holds them in primitive form.
     */
    public void putAll(int count, EntryEncoder entries) {
        if (count == 0) {
            return;
        }
        long keySize = map.keySize();
        long valueSize = map.valueBufferSize();
        try (Arena batch = Arena.ofConfined()) {
            MemorySegment keys = batch.allocate(keySize * count, 8);
            MemorySegment values = batch.allocate(valueSize * count, 8);
            clearScratch();
            for (int i = 0; i < count; i++) {
                // Encoded into the reused segments and copied: a slice per entry was two segment objects a put.
                entries.encode(i, key, value);
                MemorySegment.copy(key, 0, keys, i * keySize, keySize);
                MemorySegment.copy(value, 0, values, i * valueSize, valueSize);
            }
            map.updateBatch(keys, values, count, UpdateFlag.ANY);
        }
    }

    /**
     * Zeroes the reused key and value segments, so that bytes a codec never writes (padding, the other CPUs' slots of
     * a per-CPU value) go to the kernel as zeros, as from freshly allocated memory, whatever a lookup left there.
     */
    private void clearScratch() {
        key.fill((byte) 0);
        value.fill((byte) 0);
    }

    /**
     * Removes the given keys with batch syscalls; keys already absent (or evicted meanwhile, in an LRU map) are
     * skipped. Returns how many were removed.
     */
    public int removeAll(Collection<K> keys) {
        if (keys.isEmpty()) {
            return 0;
        }
        int n = keys.size();
        long keySize = map.keySize();
        try (Arena batch = Arena.ofConfined()) {
            MemorySegment all = batch.allocate(keySize * n, 8);
            clearScratch();
            long i = 0;
            for (K k : keys) {
                keyCodec.encode(k, key);
                MemorySegment.copy(key, 0, all, i * keySize, keySize);
                i++;
            }
            return deleteBatchSkippingAbsent(map, all, n);
        }
    }

    /**
     * Deletes the first {@code count} keys in {@code keys} (packed, {@code map.keySize()} bytes each) with batch
     * syscalls, stepping over keys that are absent (or were evicted meanwhile, in an LRU map).
     *
     * @return how many were deleted
     */
    static int deleteBatchSkippingAbsent(BpfMap map, MemorySegment keys, int count) {
        long keySize = map.keySize();
        int deleted = 0;
        int start = 0;
        while (start < count) {
            // The kernel stops at the first absent key: count what went, step over that key, go on.
            int n = map.deleteBatch(keys.asSlice(start * keySize), count - start);
            deleted += n;
            start += n + 1;
        }
        return deleted;
    }

    /** Every entry, read with batch syscalls, in the kernel's order. */
    public Map<K, V> entries() {
        Map<K, V> out = new LinkedHashMap<>();
        int chunk = 256;
        long keySize = map.keySize();
        long valueSize = map.valueBufferSize();
        try (Arena batch = Arena.ofConfined()) {
            MemorySegment keys = batch.allocate(keySize * chunk, 8);
            MemorySegment values = batch.allocate(valueSize * chunk, 8);
            BpfMap.BatchCursor cursor = map.batchCursor();
            while (!cursor.isDone()) {
                int read = map.lookupBatch(cursor, keys, values, chunk);
                for (int i = 0; i < read; i++) {
                    out.put(keyCodec.decode(keys.asSlice(i * keySize, keySize)),
                            valueCodec.decode(values.asSlice(i * valueSize, valueSize)));
                }
            }
        }
        return out;
    }

    /** Every key (element by element, so it also works on map types without batch support). */
    public List<K> keys() {
        List<K> out = new ArrayList<>();
        map.forEachKey(k -> out.add(keyCodec.decode(k)));
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "TypedMap[" + map.name() + "]";
    }
}
