package io.sluice.agent.testsupport;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.ResourceSource;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A source the test drives: {@link #put}/{@link #remove} change its cache and publish like an informer would;
 * {@link #putSilently} changes the cache without an event (what a dropped event leaves behind).
 */
public final class FakeSource implements ResourceSource {
    private final String name;
    private final Set<ResourceKind> kinds;
    private final Map<ObjectKey, HasMetadata> cache = new ConcurrentHashMap<>();
    private volatile boolean synced;
    private volatile EventChannel channel;

    public FakeSource(String name, Set<ResourceKind> kinds) {
        this.name = name;
        this.kinds = kinds;
    }

    public FakeSource(Set<ResourceKind> kinds) {
        this("fake", kinds);
    }

    public FakeSource() {
        this(EnumSet.of(ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<ResourceKind> kinds() {
        return kinds;
    }

    @Override
    public void start(EventChannel channel) {
        this.channel = channel;
    }

    public EventChannel channel() {
        return channel;
    }

    public void setSynced(boolean synced) {
        this.synced = synced;
    }

    /** Caches and publishes {@code object}; returns whether the queue took the event. */
    public boolean put(HasMetadata object) {
        putSilently(object);
        return channel.publish(ResourceKind.of(object), false, object);
    }

    public void putSilently(HasMetadata object) {
        cache.put(ObjectKey.of(ResourceKind.of(object), object), object);
    }

    public void removeSilently(HasMetadata object) {
        cache.remove(ObjectKey.of(ResourceKind.of(object), object));
    }

    public boolean remove(HasMetadata object) {
        cache.remove(ObjectKey.of(ResourceKind.of(object), object));
        return channel.publish(ResourceKind.of(object), true, object);
    }

    @Override
    public boolean synced(ResourceKind kind) {
        return synced;
    }

    @Override
    public String notSyncedReason(ResourceKind kind) {
        return synced ? null : "the test has not synced it";
    }

    @Override
    public Collection<? extends HasMetadata> snapshot(ResourceKind kind) {
        return cache.entrySet().stream().filter(e -> e.getKey().kind() == kind).map(Map.Entry::getValue).toList();
    }

    @Override
    public void close() {
    }
}
