package io.sluice.agent.testsupport;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.Store;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A reconciler for tests: records every onChange with what the store held, and can be told to fail its flush. */
public class RecordingReconciler implements Reconciler {

    /** One onChange: the key and the object the store held for it then (null for a deletion). */
    public record Change(ObjectKey key, HasMetadata object) {
        public String resourceVersion() {
            return object == null ? null : object.getMetadata().getResourceVersion();
        }
    }

    public final List<Change> changes = new CopyOnWriteArrayList<>();
    public final AtomicInteger flushes = new AtomicInteger();
    public final AtomicInteger storeSyncedCalls = new AtomicInteger();
    public volatile RuntimeException failFlushWith;

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public void onChange(ObjectKey key, Store store) {
        changes.add(new Change(key, store.get(key)));
    }

    @Override
    public int flush() {
        RuntimeException failure = failFlushWith;
        if (failure != null) {
            throw failure;
        }
        flushes.incrementAndGet();
        return 0;
    }

    @Override
    public void onStoreSynced(Store store) {
        storeSyncedCalls.incrementAndGet();
    }

    /** The changes recorded for {@code key}, oldest first. */
    public List<Change> changesOf(ObjectKey key) {
        return changes.stream().filter(c -> c.key().equals(key)).toList();
    }
}
