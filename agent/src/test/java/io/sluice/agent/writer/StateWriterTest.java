package io.sluice.agent.writer;

import static io.sluice.agent.testsupport.TestObjects.service;
import static io.sluice.agent.testsupport.TestObjects.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.FakeSource;
import io.sluice.agent.testsupport.RecordingReconciler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The writer driven by hand (the test thread is the writer thread): coalescing, resync, readiness, failures. */
class StateWriterTest {
    private static final ObjectKey WEB = new ObjectKey(ResourceKind.SERVICE, "default", "web");

    private final AgentMetrics metrics = new AgentMetrics();
    private final FakeSource source = new FakeSource();
    private final RecordingReconciler reconciler = new RecordingReconciler();

    private StateWriter writer(int queueCapacity, Reconciler... reconcilers) {
        StateWriter writer = new StateWriter(new EventQueue(queueCapacity, metrics), List.of(source),
                List.of(reconcilers), metrics);
        source.start(writer.channelOf(source));
        return writer;
    }

    private StateWriter writer() {
        return writer(4096, reconciler);
    }

    /** A reconciler with background work: a step per call until {@code pending} is used up; can be told to fail. */
    private static final class BackgroundReconciler extends RecordingReconciler {
        int pending;
        int steps;
        RuntimeException failStepWith;

        @Override
        public int backgroundStep() {
            if (failStepWith != null) {
                steps++;
                throw failStepWith;
            }
            if (pending == 0) {
                return 0;
            }
            pending--;
            steps++;
            return 1;
        }
    }

    @Test
    void backgroundWorkRunsStepByStepInDutyCyclesAfterTheFlushAndAFailingStepNeitherStopsTheWriterNorRepeatsAtOnce() {
        BackgroundReconciler background = new BackgroundReconciler();
        StateWriter writer = writer(4096, background);
        source.setSynced(true);
        source.put(service("default", "web", "1", 80));
        writer.doWork();
        assertThat(writer.status().ready()).isTrue();

        background.pending = 3;
        writer.doWork();
        assertThat(background.steps).as("one step per duty cycle").isEqualTo(1);
        writer.doWork();
        writer.doWork();
        writer.doWork();
        assertThat(background.steps).isEqualTo(3);
        assertThat(background.pending).isZero();

        background.failStepWith = new IllegalStateException("map gone");
        writer.doWork();
        writer.doWork();
        writer.doWork();
        assertThat(background.steps).as("a failed step waits before it is retried").isEqualTo(4);
        source.put(service("default", "web", "2", 81));
        writer.doWork();
        assertThat(background.changes).extracting(RecordingReconciler.Change::resourceVersion).containsExactly("1", "2");
        assertThat(writer.status().ready()).isTrue();
    }

    /**
     * The backoff's spins call the duty cycle thousands of times a second between events: an idle cycle allocates
     * nothing, or the spins alone would fill the 4 MB young generation and add pauses to the churn's latency.
     */
    @Test
    void anIdleDutyCycleAllocatesNothing() {
        StateWriter writer = writer(4096, reconciler, new BackgroundReconciler());
        source.setSynced(true);
        source.put(service("default", "web", "1", 80));
        while (writer.doWork() > 0) {
            // sync, flush, publish the status
        }
        assertThat(writer.status().ready()).isTrue();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++) {
            writer.doWork();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by 10,000 idle duty cycles").isLessThan(10_000);
    }

    @Test
    void aThousandUpdatesOfOneKeyBeforeTheWriterRunsAreProcessedOnceWithTheLastVersion() {
        StateWriter writer = writer();
        source.setSynced(true);
        for (int version = 1; version <= 1000; version++) {
            assertThat(source.put(service("default", "web", Integer.toString(version), version))).isTrue();
        }

        writer.doWork();

        assertThat(reconciler.changes).hasSize(1);
        RecordingReconciler.Change change = reconciler.changes.getFirst();
        assertThat(change.key()).isEqualTo(WEB);
        assertThat(change.resourceVersion()).isEqualTo("1000");
        assertThat(((Service) change.object()).getSpec().getPorts().getFirst().getPort()).isEqualTo(1000);
    }

    @Test
    void anAddAndDeleteBeforeTheWriterRunsReachTheReconcilerAsOneDeletion() {
        StateWriter writer = writer();
        source.setSynced(true);
        writer.doWork();
        Service web = service("default", "web", "1", 80);
        source.put(web);
        source.remove(web);

        writer.doWork();

        assertThat(reconciler.changes).containsExactly(new RecordingReconciler.Change(WEB, null));
        assertThat(writer.store().size(ResourceKind.SERVICE)).isZero();
    }

    @Test
    void eventsWithTheResourceVersionAlreadyHeldCauseNoReconcilerCall() {
        StateWriter writer = writer();
        source.setSynced(true);
        source.put(service("default", "web", "7", 80));
        writer.doWork();
        reconciler.changes.clear();

        source.put(service("default", "web", "7", 80)); // a relist or resync replays the same version
        writer.doWork();

        assertThat(reconciler.changes).isEmpty();
    }

    @Test
    void aSourceThatSyncsAgainAfterLosingItsWatchCausesNoReconcilerCallWhenNothingChanged() {
        StateWriter writer = writer();
        source.setSynced(true);
        source.put(service("default", "web", "3", 80));
        source.put(slice("default", "web-1", "web", "4", "10.0.0.5"));
        writer.doWork();
        reconciler.changes.clear();

        source.setSynced(false);
        writer.doWork();
        assertThat(writer.status().ready()).isFalse();
        source.setSynced(true);
        writer.doWork();

        assertThat(reconciler.changes).isEmpty();
        assertThat(writer.status().ready()).isTrue();
    }

    @Test
    void aResyncDeletesWhatTheSourceNoLongerHoldsAndAddsWhatItMissed() {
        StateWriter writer = writer();
        source.setSynced(true);
        Service gone = service("default", "gone", "1", 80);
        source.put(gone);
        writer.doWork();
        reconciler.changes.clear();

        // Both changes reach the cache without an event; the source's next sync must bring the store along.
        source.setSynced(false);
        writer.doWork();
        source.putSilently(service("default", "web", "2", 80));
        source.removeSilently(gone);
        source.setSynced(true);
        writer.doWork();

        assertThat(reconciler.changes).extracting(RecordingReconciler.Change::key, RecordingReconciler.Change::resourceVersion)
                .containsExactlyInAnyOrder(
                        tuple(new ObjectKey(ResourceKind.SERVICE, "default", "gone"), null),
                        tuple(WEB, "2"));
    }

    @Test
    void aFullQueueDropsEventsAndTheWriterRecoversThemFromTheSourceCache() {
        StateWriter writer = writer(8, reconciler);
        source.setSynced(true);
        writer.doWork();
        List<Boolean> accepted = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            accepted.add(source.put(service("default", "svc-" + i, "1", 80)));
        }
        assertThat(accepted).contains(false);

        writer.doWork();

        assertThat(writer.store().size(ResourceKind.SERVICE)).isEqualTo(50);
        assertThat(reconciler.changes).hasSize(50);
        assertThat(reconciler.changes).extracting(c -> c.key().name()).doesNotHaveDuplicates();
    }

    @Test
    void anEndpointSliceArrivingBeforeItsServiceIsJoinedOnceTheServiceExists() {
        List<String> joined = new ArrayList<>();
        Reconciler joiner = new Reconciler() {
            @Override
            public String name() {
                return "joiner";
            }

            @Override
            public void onChange(ObjectKey key, Store store) {
                String serviceName = key.kind() == ResourceKind.SERVICE ? key.name()
                        : store.get(key) == null ? null : store.get(key).getMetadata().getLabels().get(Store.SERVICE_NAME_LABEL);
                if (serviceName == null) {
                    return;
                }
                Service svc = store.get(ResourceKind.SERVICE, key.namespace(), serviceName, Service.class);
                List<EndpointSlice> slices = store.endpointSlicesOf(key.namespace(), serviceName);
                if (svc != null && !slices.isEmpty()) {
                    joined.add(svc.getMetadata().getName() + "<-" + slices.getFirst().getEndpoints().getFirst().getAddresses());
                }
            }

            @Override
            public int flush() {
                return 0;
            }
        };
        StateWriter writer = writer(4096, joiner);
        source.setSynced(true);

        source.put(slice("default", "web-abc", "web", "1", "10.0.0.5"));
        writer.doWork();
        assertThat(joined).isEmpty();

        source.put(service("default", "web", "2", 80));
        writer.doWork();
        assertThat(joined).containsExactly("web<-[10.0.0.5]");
    }

    @Test
    void endpointSlicesAreIndexedByTheirServiceAndFollowRelabelling() {
        StateWriter writer = writer();
        source.setSynced(true);
        source.put(slice("default", "s1", "web", "1", "10.0.0.1"));
        source.put(slice("default", "s2", "web", "1", "10.0.0.2"));
        source.put(slice("other", "s3", "web", "1", "10.0.0.3"));
        writer.doWork();
        assertThat(writer.store().endpointSlicesOf("default", "web")).extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder("s1", "s2");

        source.put(slice("default", "s2", "api", "2", "10.0.0.2"));
        source.remove(slice("default", "s1", "web", "1", "10.0.0.1"));
        writer.doWork();

        assertThat(writer.store().endpointSlicesOf("default", "web")).isEmpty();
        assertThat(writer.store().endpointSlicesOf("default", "api")).extracting(s -> s.getMetadata().getName())
                .containsExactly("s2");
        assertThat(writer.store().endpointSlicesOf("other", "web")).hasSize(1);
    }

    @Test
    void readyOnlyAfterEverySourceSyncedAndAFlushSucceeded() {
        StateWriter writer = writer();
        writer.doWork();
        assertThat(writer.status().ready()).isFalse();
        assertThat(writer.status().reason()).contains("Service from fake not synced").contains("the test has not synced it");

        reconciler.failFlushWith = new IllegalStateException("map services is full");
        source.setSynced(true);
        writer.doWork();
        assertThat(writer.status().ready()).isFalse();
        assertThat(writer.status().reason()).contains("flush failed").contains("map services is full");
        assertThat(reconciler.storeSyncedCalls).hasValue(1);

        reconciler.failFlushWith = null;
        Await.until(() -> { // the retry waits for its backoff
            writer.doWork();
            return writer.status().ready();
        }, () -> "a successful flush; status " + writer.status());
        assertThat(writer.status()).isEqualTo(WriterStatus.READY);
    }

    @Test
    void eachKindIsAnnouncedWhenItSyncsAfterItsObjectsReachedTheReconcilersThoughAnotherKindStaysUnsynced() {
        FakeSource policies = new FakeSource("policies", EnumSet.of(ResourceKind.NETWORK_POLICY));
        List<String> calls = new ArrayList<>();
        RecordingReconciler recording = new RecordingReconciler() {
            @Override
            public void onChange(ObjectKey key, Store store) {
                calls.add("change " + key.name());
            }

            @Override
            public void onKindSynced(ResourceKind kind, Store store) {
                calls.add("synced " + kind.name());
            }

            @Override
            public void onStoreSynced(Store store) {
                calls.add("store synced");
            }
        };
        StateWriter writer = new StateWriter(new EventQueue(64, metrics), List.of(source, policies), List.of(recording),
                metrics);
        source.start(writer.channelOf(source));
        policies.start(writer.channelOf(policies));
        writer.doWork();
        int flushes = recording.flushes.get();

        source.setSynced(true);
        writer.doWork();
        assertThat(calls).containsExactly("synced SERVICE", "synced ENDPOINT_SLICE");
        assertThat(recording.flushes).as("a flush follows a kind's sync that changed nothing").hasValue(flushes + 1);
        assertThat(writer.status().ready()).isFalse();

        source.setSynced(false); // a lost watch, back with an object only its list brings
        writer.doWork();
        source.putSilently(service("default", "web", "1", 80));
        source.setSynced(true);
        calls.clear();
        writer.doWork();
        assertThat(calls).containsExactly("change web", "synced SERVICE", "synced ENDPOINT_SLICE");
        assertThat(writer.status().ready()).isFalse();

        policies.setSynced(true);
        calls.clear();
        writer.doWork();
        assertThat(calls).containsExactly("synced NETWORK_POLICY", "store synced");
        assertThat(writer.status().ready()).isTrue();
    }

    @Test
    void theFirstSyncFlushedTimestampIsZeroUntilTheFlushThatMakesTheFirstSyncVisibleAndNeverMovesAfter() {
        StateWriter writer = writer();
        source.put(service("default", "web", "1", 80));
        writer.doWork();
        assertThat(reconciler.flushes).as("a flush before the sources synced").hasPositiveValue();
        assertThat(firstSyncFlushed()).isZero();

        reconciler.failFlushWith = new IllegalStateException("map services is full");
        source.setSynced(true);
        writer.doWork();
        assertThat(firstSyncFlushed()).as("after a failed flush of the synced state").isZero();

        reconciler.failFlushWith = null;
        double before = epochSeconds();
        Await.until(() -> {
            writer.doWork();
            return writer.status().ready();
        }, () -> "a successful flush; status " + writer.status());
        double after = epochSeconds();
        double flushed = firstSyncFlushed();
        assertThat(flushed).isBetween(before, after);
        assertThat(syncsCompleted()).as("the sync histogram observed the same flush").isEqualTo(1);

        // Later flushes, and a second full sync after the source lost its watch, leave it where it was.
        source.put(service("default", "web", "2", 81));
        writer.doWork();
        source.setSynced(false);
        writer.doWork();
        source.setSynced(true);
        writer.doWork();
        assertThat(writer.status().ready()).isTrue();
        assertThat(syncsCompleted()).isEqualTo(2);
        assertThat(firstSyncFlushed()).isEqualTo(flushed);
    }

    private double firstSyncFlushed() {
        return metrics.registry().scrape().stream()
                .filter(s -> s.getMetadata().getName().equals("sluice_first_sync_flushed_timestamp_seconds"))
                .flatMap(s -> s.getDataPoints().stream())
                .mapToDouble(p -> ((GaugeDataPointSnapshot) p).getValue())
                .sum();
    }

    private long syncsCompleted() {
        return metrics.registry().scrape().stream()
                .filter(s -> s.getMetadata().getName().equals("sluice_sync_duration_seconds"))
                .flatMap(s -> s.getDataPoints().stream())
                .mapToLong(p -> ((HistogramDataPointSnapshot) p).getCount())
                .sum();
    }

    private static double epochSeconds() {
        Instant now = Instant.now();
        return now.getEpochSecond() + now.getNano() / 1e9;
    }

    @Test
    void aReconcilerFailingOnOneObjectDoesNotStopTheOthers() {
        RecordingReconciler picky = new RecordingReconciler() {
            @Override
            public void onChange(ObjectKey key, Store store) {
                if (key.name().equals("bad")) {
                    throw new IllegalArgumentException("Service default/bad: spec.ports[0].port 0 is out of range");
                }
                super.onChange(key, store);
            }
        };
        StateWriter writer = writer(4096, picky);
        source.setSynced(true);
        source.put(service("default", "bad", "1", 80));
        source.put(service("default", "good", "1", 80));

        writer.doWork();

        assertThat(picky.changes).extracting(c -> c.key().name()).containsExactly("good");
        assertThat(writer.status().ready()).isTrue();
        assertThat(metrics.registry().scrape().stream()
                .filter(s -> s.getMetadata().getName().equals("sluice_objects_refused"))
                .flatMap(s -> s.getDataPoints().stream())
                .anyMatch(p -> p.getLabels().get("reason").equals("reconciler_error"))).isTrue();
    }

    @Test
    void everyChangeToADistinctKeyIsObservedOnceInTheEventToMapHistogramWhenItsFlushReturns() {
        StateWriter writer = writer();
        source.setSynced(true);
        writer.doWork();
        long before = eventsFlushed();

        // A burst drained in one duty cycle, then changes one per cycle, as a source that publishes file by file.
        for (int i = 0; i < 300; i++) {
            source.put(service("default", "burst-" + i, "1", 80));
        }
        writer.doWork();
        assertThat(eventsFlushed() - before).isEqualTo(300);
        for (int i = 0; i < 200; i++) {
            source.put(service("default", "trickle-" + i, "1", 80));
            writer.doWork();
        }

        assertThat(eventsFlushed() - before).isEqualTo(500);
        assertThat(reconciler.changes).hasSize(500);
    }

    private long eventsFlushed() {
        return metrics.registry().scrape().stream()
                .filter(s -> s.getMetadata().getName().equals("sluice_event_to_map_latency_seconds"))
                .flatMap(s -> s.getDataPoints().stream())
                .mapToLong(p -> ((HistogramDataPointSnapshot) p).getCount())
                .sum();
    }

    @Test
    void twoSourcesMayNotDeliverTheSameKind() {
        FakeSource other = new FakeSource(EnumSet.of(ResourceKind.SERVICE));
        assertThatThrownBy(() -> new StateWriter(new EventQueue(1024, metrics), List.of(source, other), List.of(), metrics))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Service");
    }
}
