package io.sluice.agent.writer;

import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;

/**
 * Turns changed objects into map writes. Called only on the writer thread, so an implementation needs no locks.
 *
 * <p>Contract: {@link #onChange} is called once per changed key per writer cycle, however many events the key
 * had (bursts are coalesced); it reads the latest state from the {@link Store} ({@code null} when the object was
 * deleted) and records what to write. {@link #flush} then applies everything recorded, in the safe order, and
 * throws when it could not; the writer retries the flush with backoff, so a flush must be idempotent and change its
 * bookkeeping only after a write succeeded.
 */
public interface Reconciler {

    /** A short name for logs, e.g. {@code services}. */
    String name();

    /** {@code key} changed (added, updated or deleted); {@code store} holds its latest state. */
    void onChange(ObjectKey key, Store store);

    /**
     * Writes everything recorded since the last successful flush.
     *
     * @return the number of map operations done (0 when nothing was pending)
     * @throws RuntimeException when a write failed; what failed stays pending for the next flush
     */
    int flush();

    /**
     * One bounded step of work that no event waits for (removing stale flow state, say), called in duty cycles that
     * had nothing else to do, and at least every {@link StateWriter#BACKGROUND_INTERVAL_MILLIS} ms otherwise. A step
     * that throws is retried after a pause.
     *
     * @return the amount of work done (0: nothing was pending)
     */
    default int backgroundStep() {
        return 0;
    }

    /**
     * The store now holds a synced copy of {@code kind}: its list is complete and every change of it up to now was
     * passed to {@link #onChange}. Called each time {@code kind} becomes synced (again), before the next flush and
     * before {@link #onStoreSynced} when it completes the store; other kinds may stay unsynced for long (a list
     * the API server refuses).
     */
    default void onKindSynced(ResourceKind kind, Store store) {
    }

    /**
     * Every source is synced and every change up to now was passed to {@link #onChange}: the store is complete.
     * The place to prune map entries nobody owns any more (after a restart, say). Called each time the store
     * becomes complete again, before the flush that makes the agent ready.
     */
    default void onStoreSynced(Store store) {
    }
}
