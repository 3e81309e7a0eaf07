package io.sluice.maps;

import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/**
 * The per-CPU array {@code sluice_counters}, summed over CPUs. Used by one thread at a time.
 */
public final class DatapathCounters implements AutoCloseable {
    private final BpfMap map;
    private final Arena arena = Arena.ofShared(); // handed from the start-up thread to the writer
    private final MemorySegment key;
    private final MemorySegment values;
    private final int cpus;

    /** The counters of a loaded object that declares {@code sluice_counters}. */
    public static DatapathCounters of(BpfObject object) {
        return new DatapathCounters(object.map(MapName.SLUICE_COUNTERS.cName()));
    }

    /** The counters of a map opened some other way (e.g. from its pin). */
    public DatapathCounters(BpfMap map) {
        this.map = map;
        if (map.valueSize() != Long.BYTES) {
            throw new IllegalArgumentException("map '" + map.name() + "': value is " + map.valueSize() + " bytes, expected a u64 counter");
        }
        this.key = arena.allocate(Integer.BYTES, 4);
        this.values = arena.allocate(map.valueBufferSize(), 8);
        this.cpus = (int) (map.valueBufferSize() / Long.BYTES);
    }

    /** The counter summed over every CPU. */
    public long read(DatapathCounter counter) {
        key.set(Layouts.U32, 0, counter.ordinal());
        if (!map.lookup(key, values)) {
            return 0;
        }
        long sum = 0;
        for (int cpu = 0; cpu < cpus; cpu++) {
            sum += values.getAtIndex(Layouts.U64, cpu);
        }
        return sum;
    }

    /** Every counter, summed over CPUs. */
    public Map<DatapathCounter, Long> readAll() {
        Map<DatapathCounter, Long> out = new EnumMap<>(DatapathCounter.class);
        for (DatapathCounter c : DatapathCounter.values()) {
            out.put(c, read(c));
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
