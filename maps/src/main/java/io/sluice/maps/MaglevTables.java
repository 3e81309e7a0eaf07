package io.sluice.maps;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.MapType;
import io.sluice.loader.UpdateFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;

/**
 * The Maglev lookup tables ({@code lb_maglev}, a hash of maps keyed by service id, for both address families): each
 * table is an array map of its own, created and filled here, then put into {@code lb_maglev} with one update, so a
 * packet sees the whole old table or the whole new one, never a mix. Tables of different sizes can live side by
 * side (the inner maps carry {@code BPF_F_INNER_MAP}), which lets a changed {@code maglevTableSize} roll over
 * service by service.
 *
 * <p>A table of M slots is M + 1 u32 words, two per array entry (an array entry takes 8 bytes), the last entry padded
 * with 0:
 * <pre>
 *  entry:   0               1               ...   (M + 1) / 2 rounded up, minus 1
 *         +-------+-------+-------+-------+     +-------+-------+
 *         |   M   |slot 0 |slot 1 |slot 2 | ... |slot M-1| (0)  |
 *         +-------+-------+-------+-------+     +-------+-------+
 * </pre>
 * so one table costs {@code 4 * (M + 1)} bytes plus the array's header; see {@link #tableBytes}.
 *
 * <p>Used by one thread at a time (the agent's writer).
 */
public final class MaglevTables implements AutoCloseable {
    /** {@code BPF_F_INNER_MAP} (linux/bpf.h): inner maps of one map of maps may differ in max_entries. */
    static final int BPF_F_INNER_MAP = 0x1000;
    /** Bytes of one array entry: two table words. */
    static final int ENTRY_BYTES = 8;

    private final TypedMap<Integer, Integer> outer;

    /** The tables of a loaded object that declares {@code lb_maglev} (sluice_pod or sluice_sock). */
    public static MaglevTables of(BpfObject object) {
        return new MaglevTables(object.map(MapName.LB_MAGLEV.cName()));
    }

    /** The tables of an {@code lb_maglev} map opened on its own (e.g. from its pin); the caller keeps owning it. */
    public static MaglevTables of(BpfMap lbMaglev) {
        return new MaglevTables(lbMaglev);
    }

    private MaglevTables(BpfMap outer) {
        this.outer = new TypedMap<>(outer, Codec.UINT32, Codec.UINT32);
    }

    /** The array entries a table of {@code size} slots takes. */
    static int entriesFor(int size) {
        return (size + 2) / 2;
    }

    /** Bytes of table data for {@code size} slots (the kernel adds the array map's header). */
    public static long tableBytes(int size) {
        return (long) entriesFor(size) * ENTRY_BYTES;
    }

    /**
     * Creates or replaces the table of {@code serviceId}: a new array map filled with one batch call, then swapped
     * into {@code lb_maglev} with one update. Every backend id in it must already be in the backends map.
     *
     * @param backendIds backend id per slot; its length is the table size M, 1..{@value
     *                   DatapathConstants#LB_MAGLEV_TABLE_SIZE_MAX}
     * @throws MapFullException when {@code lb_maglev} holds {@value DatapathConstants#LB_MAGLEV_MAX} tables
     */
    public void put(int serviceId, int[] backendIds) {
        try (Table table = create(serviceId, backendIds)) {
            put(serviceId, table);
        }
    }

    /**
     * Makes a filled table that is in no service's entry yet; {@link #put(int, Table)} it under one or more service
     * ids (frontends with the same table can share one array map), then close it.
     *
     * @param nameHint a service id, for the array map's name ({@code maglev_ID})
     * @param backendIds backend id per slot, as for {@link #put(int, int[])}
     */
    public Table create(int nameHint, int[] backendIds) {
        int size = backendIds.length;
        if (size < 1 || size > DatapathConstants.LB_MAGLEV_TABLE_SIZE_MAX) {
            throw new IllegalArgumentException("Maglev table of service id " + Integer.toUnsignedString(nameHint)
                    + ": size " + size + " is outside 1.." + DatapathConstants.LB_MAGLEV_TABLE_SIZE_MAX);
        }
        int entries = entriesFor(size);
        BpfMap map = BpfMap.create(MapType.ARRAY, "maglev_" + Integer.toUnsignedString(nameHint), 4, ENTRY_BYTES, entries,
                BPF_F_INNER_MAP);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keys = arena.allocate((long) entries * 4, 8);
            MemorySegment words = arena.allocate((long) entries * ENTRY_BYTES, 8);
            for (int entry = 0; entry < entries; entry++) {
                keys.setAtIndex(JAVA_INT, entry, entry);
            }
            words.setAtIndex(JAVA_INT, 0, size);
            MemorySegment.copy(backendIds, 0, words, JAVA_INT, 4, size);
            map.updateBatch(keys, words, entries, UpdateFlag.ANY);
            return new Table(map, size);
        } catch (RuntimeException | Error e) {
            map.close();
            throw e;
        }
    }

    /** Points {@code serviceId} at {@code table} with one update of {@code lb_maglev} (replacing its previous table). */
    public void put(int serviceId, Table table) {
        outer.put(serviceId, table.map.fd());
    }

    /**
     * A filled table not necessarily in {@code lb_maglev}: an array map this object holds a descriptor of. Closing it
     * releases the descriptor; the kernel keeps the map while {@code lb_maglev} refers to it.
     */
    public static final class Table implements AutoCloseable {
        private final BpfMap map;
        private final int size;

        private Table(BpfMap map, int size) {
            this.map = map;
            this.size = size;
        }

        /** Slots M. */
        public int size() {
            return size;
        }

        /** The kernel's id of the array map. */
        public int mapId() {
            return map.id();
        }

        @Override
        public void close() {
            map.close();
        }
    }

    /** Removes the table of {@code serviceId}; false if it had none. The kernel frees it once no packet uses it. */
    public boolean remove(int serviceId) {
        return outer.remove(serviceId);
    }

    /** The backend id of each slot of the table of {@code serviceId}, if it has one. */
    public Optional<int[]> table(int serviceId) {
        return outer.get(serviceId).flatMap(this::tableOfMap);
    }

    /**
     * The backend id of each slot of the table in the array map with kernel id {@code mapId} (a value of
     * {@link #tableIds()}; frontends that share a table share the id, so a reader of many reads each table once).
     *
     * @return empty if the map is gone (replaced or removed since its id was read)
     */
    public Optional<int[]> tableOfMap(int mapId) {
        Optional<BpfMap> opened = BpfMap.openById(mapId);
        if (opened.isEmpty()) {
            return Optional.empty();
        }
        try (BpfMap table = opened.get(); Arena arena = Arena.ofConfined()) {
            int entries = table.maxEntries();
            MemorySegment keys = arena.allocate((long) entries * 4, 8);
            MemorySegment words = arena.allocate((long) entries * ENTRY_BYTES, 8);
            BpfMap.BatchCursor cursor = table.batchCursor();
            int read = 0;
            while (read < entries && !cursor.isDone()) {
                read += table.lookupBatch(cursor, keys.asSlice((long) read * 4),
                        words.asSlice((long) read * ENTRY_BYTES), entries - read);
            }
            int size = words.getAtIndex(JAVA_INT, 0);
            if (read != entries || size < 0 || entriesFor(size) != entries) {
                throw new IllegalStateException("Maglev table in map '" + table.name() + "' (id "
                        + Integer.toUnsignedString(mapId) + "): header says " + Integer.toUnsignedString(size) + " slots but the array has "
                        + entries + " entries, " + read + " read");
            }
            int[] backendIds = new int[size];
            MemorySegment.copy(words, JAVA_INT, 4, backendIds, 0, size);
            return Optional.of(backendIds);
        }
    }

    /** The service ids that have a table, each with the kernel id of its array map. */
    public Map<Integer, Integer> tableIds() {
        return outer.entries();
    }

    /** The underlying {@code lb_maglev} map. */
    public BpfMap map() {
        return outer.map();
    }

    @Override
    public void close() {
        outer.close();
    }
}
