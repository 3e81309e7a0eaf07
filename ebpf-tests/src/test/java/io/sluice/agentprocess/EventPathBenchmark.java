package io.sluice.agentprocess;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.sluice.agent.event.EventChannel;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.source.ResourceSource;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.agent.writer.Store;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: the agent's event path without the kernel, per event: a source's {@link EventChannel#publish} (the queue
 * offer), the writer's duty cycle draining it, the store update (a new resourceVersion of an existing Service, so
 * every event is a real change), the coalescing bookkeeping, a reconciler that records nothing, and the flush with
 * its latency metric. Run it with the GC profiler for the allocation per event (EventPathBenchmarkTest).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventPathBenchmark {
    private static final int OBJECTS = 1024;
    private static final int BURST = 64;

    private final HasMetadata[] versions = new HasMetadata[OBJECTS * 2];
    private EventChannel channel;
    private StateWriter writer;
    private int next;

    @Setup
    public void setUp() {
        // Two versions of each Service, published in turn: each event changes what the store holds.
        for (int i = 0; i < OBJECTS; i++) {
            for (int v = 0; v < 2; v++) {
                versions[i * 2 + v] = new ServiceBuilder().withNewMetadata().withNamespace("bench").withName("svc-" + i)
                        .withResourceVersion(Integer.toString(v)).endMetadata()
                        .withNewSpec().addNewPort().withPort(80).endPort().endSpec().build();
            }
        }
        AgentMetrics metrics = new AgentMetrics();
        Source source = new Source();
        writer = new StateWriter(new EventQueue(1 << 16, metrics), List.of(source), List.of(new Discarding()), metrics);
        channel = writer.channelOf(source);
        source.start(channel);
        while (!writer.status().ready()) {
            writer.doWork();
        }
    }

    /** One event, then one duty cycle of the writer. */
    @Benchmark
    public int oneEventPerCycle() {
        channel.publish(ResourceKind.SERVICE, false, nextVersion());
        return writer.doWork();
    }

    /** A burst of events drained by one duty cycle, as when a relist or a busy API delivers many at once. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int burstPerCycle() {
        for (int i = 0; i < BURST; i++) {
            channel.publish(ResourceKind.SERVICE, false, nextVersion());
        }
        return writer.doWork();
    }

    private HasMetadata nextVersion() {
        // Object i's versions alternate: i*2 then i*2+1 on its next turn, so consecutive events touch different keys.
        int n = next++;
        int object = n % OBJECTS;
        int version = (n / OBJECTS) & 1;
        return versions[object * 2 + version];
    }

    /** Synced from the start, empty. */
    private static final class Source implements ResourceSource {
        private volatile boolean started;

        @Override
        public String name() {
            return "bench";
        }

        @Override
        public Set<ResourceKind> kinds() {
            return EnumSet.of(ResourceKind.SERVICE);
        }

        @Override
        public void start(EventChannel channel) {
            started = true;
        }

        @Override
        public boolean synced(ResourceKind kind) {
            return started;
        }

        @Override
        public String notSyncedReason(ResourceKind kind) {
            return started ? null : "not started";
        }

        @Override
        public Collection<? extends HasMetadata> snapshot(ResourceKind kind) {
            return List.of();
        }

        @Override
        public void close() {
        }
    }

    /** Receives every change and writes nothing: the map writes are measured elsewhere, with the kernel. */
    private static final class Discarding implements Reconciler {
        @Override
        public String name() {
            return "discarding";
        }

        @Override
        public void onChange(ObjectKey key, Store store) {
        }

        @Override
        public int flush() {
            return 0;
        }
    }
}
