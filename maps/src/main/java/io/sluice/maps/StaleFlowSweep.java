package io.sluice.maps;

import io.sluice.loader.BpfMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Removes the flow state ({@link ConntrackMaps}) of backends that left a service or were removed, a bounded step at
 * a time, off the path of the map writes that made them stale.
 *
 * <p>Finding a backend's entries means walking both flow maps whole (2 x 262,144 buckets, ~1 ms here even when
 * empty). Done inside each flush, that walk was part of the latency of every change that moved an endpoint. Here the
 * writer hands over what left ({@link #serviceBackendLeft}, {@link #backendRemoved}) and calls {@link #step} when it
 * has time: each step is one batch read of at most {@value #ENTRIES_PER_STEP} entries of one map (one syscall, which
 * stops early only when the map is that full) and one batch delete of what matched.
 *
 * <p>Guarantee: a pass walks the conntrack map, then the affinity map, from the start. Everything handed over before
 * a pass starts has its entries removed by the end of that pass, which the sweep then reports: a removed backend
 * through {@link #step}'s consumer, so that the writer releases its id only then (an id reused while a flow still
 * points at it would send that flow to the new backend). What is handed over during a pass is matched from then on
 * and waits for the next pass to be reported. {@link #serviceBackendBack} and {@link #backendBack} withdraw a pair or
 * a backend that came back, so flows made after its return are kept.
 *
 * <p>A step walks the batch cursor itself rather than reading through {@link TypedMap#entries}, which reads a whole
 * map in one call and decodes each entry into objects: a step reads one batch and looks at two u32 fields in place.
 *
 * <p>Used by one thread at a time (the agent's writer).
 */
public final class StaleFlowSweep implements AutoCloseable {
    /** Entries read per step: one syscall; a hash bucket never holds more. */
    public static final int ENTRIES_PER_STEP = 256;
    private static final long CT_BACKEND = Ct4Entry.CODEC.layout().byteOffset(PathElement.groupElement("backend_id"));
    private static final long CT_SERVICE = Ct4Entry.CODEC.layout().byteOffset(PathElement.groupElement("service_id"));
    private static final long AFFINITY_SERVICE =
            Lb4AffinityKey.CODEC.layout().byteOffset(PathElement.groupElement("service_id"));
    private static final long AFFINITY_BACKEND =
            Lb4AffinityValue.CODEC.layout().byteOffset(PathElement.groupElement("backend_id"));

    private final BpfMap conntrack;
    private final BpfMap affinity;
    /** Shared: the sweep is made on one thread and stepped on the writer's. */
    private final Arena arena = Arena.ofShared();
    private final MemorySegment keys;
    private final MemorySegment values;
    private final MemorySegment doomed;

    /** What the current pass removes and reports when done. */
    private final Set<ConntrackMaps.ServiceBackend> passLeavers = new HashSet<>();
    private final Set<Integer> passBackends = new HashSet<>();
    /** Handed over during the current pass: matched from now on, reported after the next. */
    private final Set<ConntrackMaps.ServiceBackend> nextLeavers = new HashSet<>();
    private final Set<Integer> nextBackends = new HashSet<>();
    /** Null when no pass runs; else the cursor of the map being walked. */
    private BpfMap.BatchCursor cursor;
    private boolean walkingAffinity;
    private int removed;

    /** A sweep over the flow maps of {@code maps}. */
    public StaleFlowSweep(ConntrackMaps maps) {
        this.conntrack = maps.conntrack().map();
        this.affinity = maps.affinity().map();
        long keySize = Math.max(conntrack.keySize(), affinity.keySize());
        long valueSize = Math.max(conntrack.valueBufferSize(), affinity.valueBufferSize());
        this.keys = arena.allocate(keySize * ENTRIES_PER_STEP, 8);
        this.values = arena.allocate(valueSize * ENTRIES_PER_STEP, 8);
        this.doomed = arena.allocate(keySize * ENTRIES_PER_STEP, 8);
    }

    /** The flows of {@code serviceId} to {@code backendId} are stale (the backend left that service's slots). */
    public void serviceBackendLeft(int serviceId, int backendId) {
        ConntrackMaps.ServiceBackend pair = new ConntrackMaps.ServiceBackend(serviceId, backendId);
        (cursor == null ? passLeavers : nextLeavers).add(pair);
    }

    /** Every flow to {@code backendId} is stale (the backend is gone from {@code lb4_backends}). */
    public void backendRemoved(int backendId) {
        (cursor == null ? passBackends : nextBackends).add(backendId);
    }

    /** {@code backendId} is back in the slots of {@code serviceId}: its flows there are live again. */
    public void serviceBackendBack(int serviceId, int backendId) {
        if (!passLeavers.isEmpty() || !nextLeavers.isEmpty()) {
            ConntrackMaps.ServiceBackend pair = new ConntrackMaps.ServiceBackend(serviceId, backendId);
            passLeavers.remove(pair);
            nextLeavers.remove(pair);
        }
    }

    /**
     * {@code backendId} is programmed again before its sweep reported it (the same backend came back under the id
     * it still holds): its flows are live again, and it will not be reported.
     */
    public void backendBack(int backendId) {
        if (!passBackends.isEmpty() || !nextBackends.isEmpty()) {
            passBackends.remove(backendId);
            nextBackends.remove(backendId);
        }
    }

    /** Whether anything waits to be swept or reported. */
    public boolean pending() {
        return cursor != null || !passLeavers.isEmpty() || !passBackends.isEmpty();
    }

    /** Whether a pass has begun and not ended: the next {@link #step} continues it rather than starting one. */
    public boolean passRunning() {
        return cursor != null;
    }

    /** Flow and affinity entries removed so far. */
    public int removed() {
        return removed;
    }

    /**
     * One bounded step: reads the next entries of the map being walked and removes those of stale backends; at the
     * end of a pass, hands each removed backend the pass covered to {@code sweptBackend} and starts the next pass if
     * anything waits for one.
     *
     * @return the entries read and removed in this step, plus one (0 when there was nothing to do)
     * @throws io.sluice.loader.BpfException when a batch call fails; the step can be retried
     */
    public int step(IntConsumer sweptBackend) {
        if (cursor == null) {
            if (passLeavers.isEmpty() && passBackends.isEmpty()) {
                return 0;
            }
            cursor = conntrack.batchCursor();
            walkingAffinity = false;
        }
        BpfMap map = walkingAffinity ? affinity : conntrack;
        int read = map.lookupBatch(cursor, keys, values, ENTRIES_PER_STEP);
        long keySize = map.keySize();
        long valueSize = map.valueBufferSize();
        int matched = 0;
        for (int i = 0; i < read; i++) {
            MemorySegment key = keys.asSlice(i * keySize, keySize);
            MemorySegment value = values.asSlice(i * valueSize, valueSize);
            int serviceId = walkingAffinity ? key.get(Layouts.U32, AFFINITY_SERVICE) : value.get(Layouts.U32, CT_SERVICE);
            int backendId = value.get(Layouts.U32, walkingAffinity ? AFFINITY_BACKEND : CT_BACKEND);
            if (isStale(serviceId, backendId)) {
                MemorySegment.copy(key, 0, doomed, matched * keySize, keySize);
                matched++;
            }
        }
        int gone = TypedMap.deleteBatchSkippingAbsent(map, doomed, matched);
        removed += gone;
        if (cursor.isDone()) {
            if (!walkingAffinity) {
                walkingAffinity = true;
                cursor = affinity.batchCursor();
            } else {
                endPass(sweptBackend);
            }
        }
        return 1 + read + gone;
    }

    private boolean isStale(int serviceId, int backendId) {
        if ((!passBackends.isEmpty() || !nextBackends.isEmpty())
                && (passBackends.contains(backendId) || nextBackends.contains(backendId))) {
            return true;
        }
        if (passLeavers.isEmpty() && nextLeavers.isEmpty()) {
            return false;
        }
        ConntrackMaps.ServiceBackend pair = new ConntrackMaps.ServiceBackend(serviceId, backendId);
        return passLeavers.contains(pair) || nextLeavers.contains(pair);
    }

    private void endPass(IntConsumer sweptBackend) {
        cursor = null;
        for (int id : passBackends) {
            sweptBackend.accept(id);
        }
        passBackends.clear();
        passLeavers.clear();
        passBackends.addAll(nextBackends);
        passLeavers.addAll(nextLeavers);
        nextBackends.clear();
        nextLeavers.clear();
    }

    /** Frees the step buffers (not the maps). */
    @Override
    public void close() {
        arena.close();
    }
}
