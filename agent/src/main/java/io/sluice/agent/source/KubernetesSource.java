package io.sluice.agent.source;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.SharedInformerFactory;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.model.ResourceKind;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Objects from the Kubernetes API through fabric8 informers (one {@link SharedInformerFactory}), one per kind.
 *
 * <p>Handlers only publish (kind, object) into the {@link EventChannel} and never block; {@code onUpdate} drops
 * no-op resyncs (same resourceVersion). Failures of list or watch (API down, RBAC) are retried by the informer
 * with backoff and make the kind unsynced with the error as reason; the informer's own cache serves the writer's
 * resynchronisation after a relist or a queue overflow.
 *
 * <p>Scope: every kind is watched cluster-wide, Pods included. A field selector {@code spec.nodeName=<node>} would
 * shrink the Pod cache, but NetworkPolicy needs the labels and IPs of every Pod in the cluster to give remote peers
 * their identity (a policy on this node selects pods on other nodes), so this node's Pods are not enough. Nodes are
 * watched for their addresses (NodePort, host identity).
 */
public final class KubernetesSource implements ResourceSource {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesSource.class);

    /** Per kind: its informer and the latest list/watch failure, for readiness. */
    private static final class KindState {
        final ResourceKind kind;
        volatile SharedIndexInformer<? extends HasMetadata> informer;
        volatile String lastError;

        KindState(ResourceKind kind) {
            this.kind = kind;
        }
    }

    /** Publishes informer notifications; runs on fabric8's handler threads and must not block. */
    private record Handler(ResourceKind kind, EventChannel channel, LongAdder unchanged)
            implements ResourceEventHandler<HasMetadata> {
        @Override
        public void onAdd(HasMetadata object) {
            channel.publish(kind, false, object);
        }

        @Override
        public void onUpdate(HasMetadata old, HasMetadata current) {
            if (Objects.equals(old.getMetadata().getResourceVersion(), current.getMetadata().getResourceVersion())) {
                unchanged.increment(); // a periodic resync: nothing changed
                return;
            }
            channel.publish(kind, false, current);
        }

        @Override
        public void onDelete(HasMetadata object, boolean finalStateUnknown) {
            channel.publish(kind, true, object);
        }
    }

    private final KubernetesClient client;
    private final Set<ResourceKind> kinds;
    private final long resyncMillis;
    private final EnumMap<ResourceKind, KindState> states = new EnumMap<>(ResourceKind.class);
    private volatile SharedInformerFactory factory;
    private volatile Future<Void> started;
    private final LongAdder unchangedUpdates = new LongAdder();

    /**
     * A source of {@code kinds} through {@code client}.
     *
     * @param resyncPeriod how often informers replay their cache as updates (dropped as no-ops); zero for never
     */
    public KubernetesSource(KubernetesClient client, Set<ResourceKind> kinds, Duration resyncPeriod) {
        this.client = client;
        this.kinds = Collections.unmodifiableSet(EnumSet.copyOf(kinds));
        this.resyncMillis = resyncPeriod.toMillis();
        for (ResourceKind kind : kinds) {
            states.put(kind, new KindState(kind));
        }
    }

    /** A source of every kind the agent knows, without periodic resync. */
    public KubernetesSource(KubernetesClient client) {
        this(client, EnumSet.allOf(ResourceKind.class), Duration.ZERO);
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public Set<ResourceKind> kinds() {
        return kinds;
    }

    @Override
    public void start(EventChannel channel) {
        if (factory != null) {
            throw new IllegalStateException("KubernetesSource already started");
        }
        SharedInformerFactory f = client.informers();
        for (KindState state : states.values()) {
            SharedIndexInformer<? extends HasMetadata> informer = f.sharedIndexInformerFor(state.kind.type(), resyncMillis);
            informer.exceptionHandler((isStarted, error) -> {
                String message = error.getClass().getSimpleName() + ": " + error.getMessage();
                if (!message.equals(state.lastError)) {
                    LOG.warn("{} list/watch failed, retrying: {}", state.kind, message);
                }
                state.lastError = message;
                return true; // keep retrying with the informer's backoff: an outage must not end the watch
            });
            informer.addEventHandler(new Handler(state.kind, channel, unchangedUpdates));
            state.informer = informer;
        }
        factory = f;
        started = f.startAllRegisteredInformers();
    }

    /**
     * Waits at most {@code timeout} for every informer's first list. On timeout the informers keep trying and the
     * agent runs unready; the reason names the failing kinds.
     *
     * @return whether all kinds synced in time
     */
    public boolean awaitSynced(Duration timeout) throws InterruptedException {
        Future<Void> future = started;
        if (future == null) {
            throw new IllegalStateException("KubernetesSource not started");
        }
        try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            LOG.warn("informers not synced after {}; going on unready: {}", timeout, describeUnsynced());
            return false;
        } catch (ExecutionException e) {
            LOG.warn("informer start failed; going on unready: {}", e.getCause().toString());
            return false;
        }
    }

    private String describeUnsynced() {
        StringBuilder sb = new StringBuilder();
        for (KindState s : states.values()) {
            if (!synced(s.kind)) {
                sb.append(sb.isEmpty() ? "" : "; ").append(s.kind).append(": ").append(notSyncedReason(s.kind));
            }
        }
        return sb.toString();
    }

    /** Updates dropped because the resourceVersion did not change (informer resyncs). Any thread. */
    public long unchangedUpdates() {
        return unchangedUpdates.sum();
    }

    @Override
    public boolean synced(ResourceKind kind) {
        KindState s = states.get(kind);
        SharedIndexInformer<? extends HasMetadata> informer = s == null ? null : s.informer;
        if (informer == null || !informer.hasSynced()) {
            return false;
        }
        if (informer.isWatching()) {
            s.lastError = null;
            return true;
        }
        // Between two watches (the API server ends them routinely) the cache is still current; only a failure
        // makes the kind unsynced.
        return s.lastError == null;
    }

    @Override
    public String notSyncedReason(ResourceKind kind) {
        KindState s = states.get(kind);
        if (s == null) {
            return "not delivered by this source";
        }
        String error = s.lastError;
        if (error != null) {
            return "API error: " + error;
        }
        return s.informer == null ? "informer not started" : "waiting for the first list";
    }

    @Override
    public Collection<? extends HasMetadata> snapshot(ResourceKind kind) {
        KindState s = states.get(kind);
        SharedIndexInformer<? extends HasMetadata> informer = s == null ? null : s.informer;
        return informer == null ? List.of() : informer.getStore().list();
    }

    @Override
    public void close() {
        SharedInformerFactory f = factory;
        if (f != null) {
            f.stopAllRegisteredInformers();
        }
    }
}
