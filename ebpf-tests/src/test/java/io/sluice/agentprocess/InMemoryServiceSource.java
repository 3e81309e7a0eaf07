package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.ResourceSource;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Services and EndpointSlices (or the kinds a test names) held in memory, synced once started unless a test clears
 * {@link #synced} until its list is complete; the test publishes changes on {@link #channel}.
 */
final class InMemoryServiceSource implements ResourceSource {
    private final String name;
    private final Set<ResourceKind> kinds;
    private final Map<ResourceKind, Map<String, HasMetadata>> objects = new ConcurrentHashMap<>();
    private final AtomicLong version = new AtomicLong();
    volatile EventChannel channel;
    volatile boolean synced = true;

    InMemoryServiceSource() {
        this("test", EnumSet.of(ResourceKind.SERVICE, ResourceKind.ENDPOINT_SLICE));
    }

    InMemoryServiceSource(String name, Set<ResourceKind> kinds) {
        this.name = name;
        this.kinds = kinds;
    }

    void put(HasMetadata object) {
        object.getMetadata().setResourceVersion(Long.toString(version.incrementAndGet()));
        objects.computeIfAbsent(ResourceKind.of(object), k -> new ConcurrentHashMap<>()).put(object.getMetadata().getName(), object);
    }

    void remove(HasMetadata object) {
        objects.getOrDefault(ResourceKind.of(object), Map.of()).remove(object.getMetadata().getName());
    }

    void publish(HasMetadata object, boolean deleted) {
        assertThat(channel.publish(ResourceKind.of(object), deleted, object)).as("queued").isTrue();
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

    @Override
    public boolean synced(ResourceKind kind) {
        return channel != null && synced;
    }

    @Override
    public String notSyncedReason(ResourceKind kind) {
        return channel == null ? "not started" : synced ? null : "not listed yet";
    }

    @Override
    public Collection<? extends HasMetadata> snapshot(ResourceKind kind) {
        return List.copyOf(objects.getOrDefault(kind, Map.of()).values());
    }

    @Override
    public void close() {
    }
}
