package io.sluice.policy;

import java.util.HashMap;
import java.util.Map;

/**
 * Reference-counted allocation of numbers in {@code [min, max]} to string keys, recorded in an
 * {@link IdentityStore} under a key prefix. Records restored from the store keep their number and start
 * with no references; {@link #releaseUnreferenced()} frees those nobody claimed after the initial sync.
 * New numbers come from a cursor that moves forward and wraps, so a freed number is reused as late as
 * possible (a stale BPF entry that still names it is unlikely to meet a new owner).
 */
final class IdPool {

    private final IdentityStore store;
    private final String keyPrefix;
    private final int min;
    private final int max;
    private final Map<String, Integer> idByKey = new HashMap<>();
    private final Map<Integer, String> keyById = new HashMap<>();
    private final Map<String, Integer> references = new HashMap<>();
    private int cursor;

    /** Result of {@link #acquire}: the number and whether this call made the key live. */
    record Acquired(int id, boolean created) {
    }

    IdPool(IdentityStore store, String keyPrefix, int min, int max) {
        this.store = store;
        this.keyPrefix = keyPrefix;
        this.min = min;
        this.max = max;
        this.cursor = min;
        int highest = min - 1;
        for (Map.Entry<String, Integer> record : store.loadAll().entrySet()) {
            String key = record.getKey();
            Integer id = record.getValue();
            if (!key.startsWith(keyPrefix)) {
                continue;
            }
            if (id == null || id < min || id > max || keyById.containsKey(id)) {
                // Out of range or claimed twice: the record cannot be trusted, allocate afresh.
                store.remove(key);
                continue;
            }
            idByKey.put(key, id);
            keyById.put(id, key);
            highest = Math.max(highest, id);
        }
        if (highest >= min && highest < max) {
            cursor = highest + 1;
        }
    }

    /** Takes a reference on {@code key}, allocating (or reviving a restored) number for it. */
    Acquired acquire(String key) {
        String fullKey = keyPrefix + key;
        int refs = references.merge(fullKey, 1, Integer::sum);
        Integer id = idByKey.get(fullKey);
        if (id != null) {
            return new Acquired(id, refs == 1);
        }
        int allocated = nextFree(fullKey);
        idByKey.put(fullKey, allocated);
        keyById.put(allocated, fullKey);
        store.put(fullKey, allocated);
        return new Acquired(allocated, true);
    }

    /** Drops a reference; returns true when it was the last one and the number was freed. */
    boolean release(String key) {
        String fullKey = keyPrefix + key;
        Integer refs = references.get(fullKey);
        if (refs == null) {
            throw new IllegalStateException("release of unreferenced key " + fullKey);
        }
        if (refs > 1) {
            references.put(fullKey, refs - 1);
            return false;
        }
        references.remove(fullKey);
        free(fullKey);
        return true;
    }

    /** The live or restored number of {@code key}, or -1. */
    int idOf(String key) {
        Integer id = idByKey.get(keyPrefix + key);
        return id == null ? -1 : id;
    }

    /** Number of keys currently referenced. */
    int liveCount() {
        return references.size();
    }

    /** Frees restored numbers that no acquire claimed; returns how many. */
    int releaseUnreferenced() {
        int freed = 0;
        for (String key : idByKey.keySet().toArray(String[]::new)) {
            if (!references.containsKey(key)) {
                free(key);
                freed++;
            }
        }
        return freed;
    }

    private void free(String fullKey) {
        Integer id = idByKey.remove(fullKey);
        keyById.remove(id);
        store.remove(fullKey);
    }

    private int nextFree(String fullKey) {
        long span = (long) max - min + 1;
        for (long tried = 0; tried < span; tried++) {
            int candidate = cursor;
            cursor = cursor == max ? min : cursor + 1;
            if (!keyById.containsKey(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free number in [" + min + ", " + max + "] for " + fullKey);
    }
}
