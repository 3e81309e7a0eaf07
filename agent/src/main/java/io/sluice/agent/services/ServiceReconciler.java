package io.sluice.agent.services;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.agent.datapath.StaleSocketDestroyer;
import io.sluice.agent.ids.ServiceIds;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.Store;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.DatapathConstants;
import io.sluice.maps.FrontendRemoval;
import io.sluice.maps.FrontendWrite;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.LbScope;
import io.sluice.maps.MaglevTables;
import io.sluice.maps.MapName;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.SockDestroyKey;
import io.sluice.maps.SocketDestroyer;
import io.sluice.maps.StaleFlowSweep;
import io.sluice.servicelb.DesiredFrontend;
import io.sluice.servicelb.DesiredService;
import io.sluice.servicelb.FrontendFlag;
import io.sluice.servicelb.FrontendVerdict;
import io.sluice.servicelb.LbAlgorithm;
import io.sluice.servicelb.Refusal;
import io.sluice.servicelb.ServiceBackend;
import io.sluice.servicelb.ServiceFrontend;
import io.sluice.servicelb.ServiceKey;
import io.sluice.servicelb.ServiceTranslator;
import io.sluice.servicelb.TrafficScope;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the service maps equal to what the Services and EndpointSlices in the store ask for.
 *
 * <p>Per changed Service it translates (service-lb), then writes the difference in the order no packet can
 * observe half-done: new or changed backends, then each frontend's slots and entry ({@link ServiceMaps#putService};
 * a Maglev frontend: its whole table swapped in with one update, then its entry, {@link ServiceMaps#putMaglevService}),
 * then frontends the Service no longer has, then backends no frontend uses. Bookkeeping changes only after a write
 * succeeded, so a failed flush is retried from where it stopped. It starts from what the (pinned) maps already
 * hold, so a restarted agent rewrites nothing that did not change, and prunes frontends nobody claims once the
 * store is complete.
 *
 * <p>IPv4 frontends only, for now: an IPv6 frontend is refused with reason {@code ipv6_not_programmed}.
 * External frontends (NodePort, ExternalIP, LoadBalancer) are written twice: with external scope for traffic
 * arriving from outside, and with internal scope so a connect from the node itself is balanced too.
 *
 * <p>Owned by the writer thread.
 */
public final class ServiceReconciler implements Reconciler, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceReconciler.class);
    /**
     * Services reconciled together: their backends, slots and entries each go in one batch syscall. Bounds the
     * native buffers of one write (a first sync of 10,000 Services takes 10 batches) and what one failure retries.
     */
    static final int SERVICES_PER_BATCH = 1024;
    /**
     * Services whose new Maglev tables one frontend write holds open (each table is a descriptor until it is in
     * {@code lb_maglev}): bounds the descriptors a first sync of thousands of Maglev Services needs at once.
     */
    static final int MAGLEV_TABLES_PER_WRITE = 64;
    /** Above this many entries a scratch set is replaced instead of cleared (see {@link #maybeUnused}). */
    private static final int SMALL_SET = 64;
    /** What {@link #programmedBackends} answers for an id without a backend. */
    private static final long NO_BACKEND = 0;
    private static final int[] NO_IDS = new int[0];

    private final ServiceTranslator translator;
    private final ServiceMaps maps;
    private final StableIdAllocator frontendIds;
    private final StableIdAllocator backendIds;
    private final AgentMetrics metrics;
    private final List<AutoCloseable> owned = new ArrayList<>();

    /** Services to reconcile, in the order they changed (a tree set's comparisons were a tenth of a first sync). */
    private final Set<ServiceKey> dirty = new LinkedHashSet<>();
    private final Map<Lb4Key, ProgrammedFrontend> programmed = new HashMap<>();
    /**
     * Backend id → what {@code lb4_backends} holds, {@link Lb4Backend#packed() packed} (0: none): no boxed id, map node
     * and backend object each, 100,000 times.
     */
    private final Long2LongHashMap programmedBackends = new Long2LongHashMap(NO_BACKEND);
    /**
     * How many slots of programmed frontends point at each backend id, so that finding the backends nobody uses
     * costs what changed, not every slot of every frontend (which made each change O(all slots)).
     */
    private final Int2IntHashMap slotReferences = new Int2IntHashMap(0);
    /**
     * Backends that may have lost their last slot, or were written for a frontend whose write then failed. Replaced
     * rather than cleared once it held many (a first sync puts every backend here): a hash set keeps its largest
     * table, and clearing or walking 100,000 empty buckets on every later flush was a fifth of a change's cost.
     */
    private IntHashSet maybeUnused = new IntHashSet();
    /**
     * Removes the flows and affinity entries of backends that left a service or went, a bounded step whenever the
     * writer has time ({@link #backgroundStep}), not inside the flush: walking both flow maps (2 x 262,144 buckets,
     * ~1 ms) in every flush that moved an endpoint was part of each such change's latency. Null when the caller keeps
     * no conntrack.
     */
    private StaleFlowSweep sweep;
    /**
     * Backends removed from {@code lb4_backends} whose flows the sweep has not yet passed: their ids are released
     * once it has (an id reused earlier could send a stale affinity entry to another backend).
     */
    private final IntHashSet sweepingBackends = new IntHashSet();
    /** A flow sweep pass starts at most this often; what leaves meanwhile waits for the next (a stale flow lives that long). */
    static final long SWEEP_PASS_INTERVAL_MILLIS = 50;
    private static final long SWEEP_PASS_INTERVAL_NANOS = SWEEP_PASS_INTERVAL_MILLIS * 1_000_000;
    private long lastSweepPassNanos = System.nanoTime() - SWEEP_PASS_INTERVAL_NANOS;
    private final IntConsumer releaseSweptBackend = this::releaseSweptBackend;
    /** Connected UDP sockets to destroy when their backend leaves a frontend; null when the kernel cannot. */
    private StaleSocketDestroyer staleSockets;
    /** (UDP frontend, backend that left it) pairs of this flush, destroyed once its writes are done. */
    private final Map<SockDestroyKey, Integer> leftUdpFrontends = new LinkedHashMap<>();
    private final Map<ServiceKey, Set<Lb4Key>> frontendsOf = new HashMap<>(); // immutable sets: most hold one key
    /** How many programmed frontends have a Maglev table (a gauge, kept without a walk over all frontends). */
    private int maglevFrontends;
    /** Which Service each EndpointSlice belonged to when last seen, to find it again once the slice is deleted. */
    private final Map<ObjectKey, String> sliceOwners = new HashMap<>();
    /** The refusals of the Service being translated (one list for all: no result object per Service). */
    private final List<Refusal> refusals = new ArrayList<>();
    /** The writer's store, as handed to {@link #onChange}; read during {@link #flush()}. */
    private Store store;
    private boolean prunePending;
    /**
     * Frontends the pinned maps held at start, left as they are until the store is synced: a restarted agent's list
     * can bring a Service before (some of) its EndpointSlices, and writing what it knows then would shrink or empty
     * the frontend (failed connections, flows of backends that only seem gone flushed). Empty once synced.
     */
    private Set<Lb4Key> heldUntilSynced = Set.of();
    /** Services whose change touches a held frontend: reconciled when the store is synced. */
    private final Set<ServiceKey> deferredUntilSynced = new HashSet<>();
    /**
     * Services that came before the EndpointSlices were first listed with no slice in the store and own no frontend
     * yet: reconciled once a slice of theirs comes, or when the EndpointSlice kind (or the store) is synced. The list
     * brings Services and slices in parallel, the Services' pages faster, and writing such a Service's frontend
     * without backends and again with them moments later was a third more translations (and as many frontend writes)
     * in a start of 10,000 Services. Not until the whole store's sync: a kind whose list stays refused (RBAC on
     * NetworkPolicies, say) would keep a Service without endpoints unwritten, its clients' packets leaving the node
     * instead of being refused.
     */
    private final Set<ServiceKey> awaitingSlices = new HashSet<>();
    /** Whether the EndpointSlices were listed once: from then on a Service without a slice in the store has none. */
    private boolean slicesListed;

    /**
     * @param frontendIds ids of frontends (= {@code lb4_service.service_id}), persisted
     * @param backendIds  ids of backends ({@code lb4_backends} keys), persisted
     */
    public ServiceReconciler(ServiceTranslator translator, ServiceMaps maps, StableIdAllocator frontendIds,
                             StableIdAllocator backendIds, AgentMetrics metrics) {
        this.translator = translator;
        this.maps = maps;
        this.frontendIds = frontendIds;
        this.backendIds = backendIds;
        this.metrics = metrics;
        adoptWhatTheMapsHold();
    }

    /**
     * Makes this reconciler flush the conntrack and affinity entries of a backend that leaves a service's slots or
     * is removed, so no UDP flow keeps sending to it (kube-proxy's stale-UDP problem) and affinity re-picks.
     */
    public ServiceReconciler flushingConntrack(ConntrackMaps maps) {
        this.sweep = new StaleFlowSweep(maps);
        return this;
    }

    /**
     * Makes this reconciler destroy, after each flush, the connected UDP sockets that the socket programs sent to a
     * backend which left a UDP frontend in that flush: such a socket would otherwise keep its backend for as long as
     * the application keeps it.
     */
    public ServiceReconciler destroyingStaleSockets(StaleSocketDestroyer destroyer) {
        this.staleSockets = destroyer;
        return this;
    }

    /** Hands {@code resource} to this reconciler, which closes it (in reverse order of handing) when it is closed. */
    public ServiceReconciler owning(AutoCloseable resource) {
        owned.add(resource);
        return this;
    }

    @Override
    public void close() {
        if (sweep != null) {
            sweep.close();
            sweep = null;
        }
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed", owned.get(i), e);
            }
        }
        owned.clear();
    }

    @Override
    public String name() {
        return "services";
    }

    @Override
    public void onChange(ObjectKey key, Store store) {
        this.store = store;
        if (key.kind() == ResourceKind.SERVICE) {
            dirty.add(new ServiceKey(key.namespace(), key.name()));
        } else if (key.kind() == ResourceKind.ENDPOINT_SLICE) {
            EndpointSlice slice = store.get(key, EndpointSlice.class);
            String service = slice == null ? sliceOwners.remove(key) : serviceNameOf(slice);
            String previous = slice == null ? null : sliceOwners.put(key, service);
            if (previous != null && !previous.equals(service)) {
                dirty.add(new ServiceKey(key.namespace(), previous));
            }
            if (service != null) {
                dirty.add(new ServiceKey(key.namespace(), service));
            }
        }
    }

    @Override
    public void onKindSynced(ResourceKind kind, Store store) {
        if (kind == ResourceKind.ENDPOINT_SLICE) {
            stopAwaitingSlices(store);
        }
    }

    @Override
    public void onStoreSynced(Store store) {
        stopAwaitingSlices(store); // also when no source delivers EndpointSlices
        heldUntilSynced = Set.of();
        dirty.addAll(deferredUntilSynced);
        deferredUntilSynced.clear();
        // Every Service in the store was passed to onChange (the writer's contract) and a translation reads only the
        // Service and its slices, each change of which marks it dirty: every Service is dirty or was reconciled from
        // what the store holds now. Translating them all again here cost ~0.5 s at the end of a 10,000 Service start
        // and wrote nothing. Frontends that none claims after the next flush are orphans.
        prunePending = true;
    }

    @Override
    public int flush() {
        int operations = 0;
        List<ServiceKey> batch = new ArrayList<>(Math.min(dirty.size(), SERVICES_PER_BATCH));
        while (!dirty.isEmpty()) {
            batch.clear();
            for (Iterator<ServiceKey> it = dirty.iterator(); it.hasNext() && batch.size() < SERVICES_PER_BATCH; ) {
                ServiceKey key = it.next();
                if (awaitsSlices(key)) {
                    it.remove();
                    awaitingSlices.add(key);
                } else {
                    awaitingSlices.remove(key); // its slice came: the sync need not translate it again
                    batch.add(key);
                }
            }
            if (!batch.isEmpty()) {
                operations += reconcile(batch);
                batch.forEach(dirty::remove);
            }
        }
        if (prunePending) {
            operations += pruneUnclaimed();
            prunePending = false;
        }
        operations += releaseUnusedBackends();
        frontendIds.persist(); // the releases
        backendIds.persist();
        destroyStaleSockets();
        metrics.mapEntries(MapName.LB4_SERVICES.cName()).set(programmed.size());
        metrics.mapEntries(MapName.LB4_BACKENDS.cName()).set(programmedBackends.size());
        metrics.mapEntries(MapName.LB_MAGLEV.cName()).set(maglevFrontends);
        return operations;
    }

    private void stopAwaitingSlices(Store store) {
        this.store = store;
        slicesListed = true;
        dirty.addAll(awaitingSlices);
        awaitingSlices.clear();
    }

    /** Whether {@code key} waits for its first EndpointSlice (see {@link #awaitingSlices}) instead of being written now. */
    private boolean awaitsSlices(ServiceKey key) {
        return !slicesListed && !frontendsOf.containsKey(key) && !store.hasEndpointSlices(key.namespace(), key.name());
    }

    private Map<Lb4Key, DesiredEntry> desiredOf(ServiceKey key) {
        Service service = store == null ? null : store.get(ResourceKind.SERVICE, key.namespace(), key.name(), Service.class);
        if (service == null) {
            return Map.of();
        }
        List<EndpointSlice> slices = store.endpointSlicesOf(key.namespace(), key.name());
        refusals.clear();
        DesiredService desired = translator.desiredService(service, slices, refusals);
        for (int i = 0; i < refusals.size(); i++) {
            Refusal refusal = refusals.get(i);
            LOG.warn("refused {}", refusal);
            metrics.objectRefused(refusal.object().kind(), refusal.reason().metricLabel());
        }
        if (desired == null || !desired.key().equals(key)) {
            return Map.of();
        }
        Map<Lb4Key, DesiredEntry> entries = new LinkedHashMap<>();
        for (DesiredFrontend frontend : desired.frontends()) {
            if (!frontend.address().ip().isIpv4()) {
                LOG.warn("refused {} frontend {}: IPv6 frontends are not programmed yet", key, frontend.address());
                metrics.objectRefused("Service", "ipv6_not_programmed");
                continue;
            }
            DesiredEntry entry = DesiredEntry.of(frontend);
            entries.put(lb4Key(frontend.frontend(), frontend.frontend().scope()), entry);
            if (frontend.frontend().scope() == TrafficScope.EXTERNAL) {
                entries.putIfAbsent(lb4Key(frontend.frontend(), TrafficScope.INTERNAL), entry);
            }
        }
        return entries;
    }

    /**
     * Writes the difference of a batch of Services: their new or changed backends (one batch syscall), their changed
     * frontends (slots and tables, then entries, in batch syscalls), then their gone frontends; the backends no
     * frontend uses any more go at the end of the flush. Returns the number of map operations.
     */
    private int reconcile(List<ServiceKey> services) {
        WritePlan plan = new WritePlan();
        for (ServiceKey key : services) {
            plan(key, desiredOf(key), plan);
        }
        // The batch's new ids are in the files before any map refers to them (one put per 64 ids).
        frontendIds.persist();
        backendIds.persist();
        int operations = writeBackends(plan.backends.ids.toIntArray(), plan.backends.backends);
        operations += writeFrontends(plan);
        for (Map.Entry<ServiceKey, Lb4Key> claim : plan.unchanged) {
            claimFrontend(claim.getKey(), claim.getValue());
        }
        Set<Lb4Key> claimed = new HashSet<>(plan.frontends.keySet());
        plan.unchanged.forEach(c -> claimed.add(c.getValue()));
        operations += removeFrontends(plan.gone, claimed);
        for (ServiceKey emptied : plan.emptied) {
            Set<Lb4Key> left = frontendsOf.get(emptied);
            if (left != null && left.isEmpty()) {
                frontendsOf.remove(emptied);
            }
        }
        return operations;
    }

    /** Adds one Service's difference to {@code plan}, allocating the ids of its frontends and backends. */
    private void plan(ServiceKey owner, Map<Lb4Key, DesiredEntry> desired, WritePlan plan) {
        frontends:
        for (Map.Entry<Lb4Key, DesiredEntry> e : desired.entrySet()) {
            Lb4Key key = e.getKey();
            DesiredEntry entry = e.getValue();
            List<Lb4Backend> backends = entry.backends();
            boolean held = heldUntilSynced.contains(key);
            int[] ids = new int[backends.size()];
            for (int i = 0; i < ids.length; i++) {
                long backendKey = ServiceIds.backendKey(backends.get(i));
                // A held frontend only compares: a backend without an id is not in it, and no id is taken for it.
                ids[i] = held ? backendIds.find(backendKey) : backendIds.idOf(backendKey);
                if (ids[i] == 0) {
                    deferredUntilSynced.add(owner);
                    continue frontends;
                }
            }
            int serviceId = frontendIds.idOf(ServiceIds.frontendKey(key));
            Lb4Service service = new Lb4Service(serviceId, ids.length, entry.flags(), entry.affinityTimeout());
            int[] table = null;
            ProgrammedFrontend want;
            if (entry.maglevTable() != null) {
                table = new int[entry.maglevTable().length];
                for (int slot = 0; slot < table.length; slot++) {
                    table[slot] = ids[entry.maglevTable()[slot]];
                }
                want = ProgrammedFrontend.maglev(service, table);
            } else {
                want = ProgrammedFrontend.slots(service, ids);
            }
            ProgrammedFrontend have = programmed.get(key);
            if (held && !want.equals(have)) {
                deferredUntilSynced.add(owner);
                continue;
            }
            for (int i = 0; i < ids.length; i++) {
                if (backends.get(i).packed() != programmedBackends.get(ids[i])) {
                    plan.backends.put(ids[i], backends.get(i));
                }
            }
            plan.frontends.remove(key); // claimed twice in one batch: the later claim wins, as it would one by one
            if (want.equals(have)) {
                plan.unchanged.add(Map.entry(owner, key));
            } else {
                plan.frontends.put(key, new PlannedFrontend(owner, key, want, have, table));
            }
        }
        for (Lb4Key gone : frontendsOf.getOrDefault(owner, Set.of())) {
            if (!desired.containsKey(gone)) {
                if (heldUntilSynced.contains(gone)) {
                    deferredUntilSynced.add(owner);
                } else {
                    plan.gone.add(Map.entry(owner, gone));
                }
            }
        }
        if (desired.isEmpty()) {
            plan.emptied.add(owner);
        }
    }

    /** Writes new or changed backends with one batch syscall, before any slot or table points at them. */
    private int writeBackends(int[] ids, List<Lb4Backend> backends) {
        if (ids.length == 0) {
            return 0;
        }
        maps.putBackends(ids, backends);
        count(MapName.LB4_BACKENDS, "update", ids.length);
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            programmedBackends.put(id, backends.get(i).packed());
            maybeUnused.add(id);
            if (!sweepingBackends.isEmpty() && sweepingBackends.remove(id)) {
                sweep.backendBack(id); // the same backend back under the id it kept: its new flows stay
            }
        }
        return ids.length;
    }

    /**
     * Writes the planned frontends, in groups that hold the new Maglev tables of at most
     * {@link #MAGLEV_TABLES_PER_WRITE} Services open and never split one Service, whose frontends with the same table
     * share one array map.
     */
    private int writeFrontends(WritePlan plan) {
        int operations = 0;
        List<PlannedFrontend> group = new ArrayList<>();
        Map<ServiceKey, Map<Long, MaglevTables.Table>> tables = new HashMap<>();
        ServiceKey owner = null;
        for (PlannedFrontend p : plan.frontends.values()) {
            if (!p.owner().equals(owner) && tables.size() >= MAGLEV_TABLES_PER_WRITE) {
                operations += writeGroup(group, tables);
                group.clear();
            }
            owner = p.owner();
            group.add(p);
            if (p.table() != null) {
                tables.computeIfAbsent(owner, k -> new HashMap<>());
            }
        }
        return operations + writeGroup(group, tables);
    }

    /**
     * Writes one group of planned frontends; the Maglev tables it creates live in {@code tables} (one empty map per
     * Service with a table) and are closed, and {@code tables} cleared, when it returns or throws.
     */
    private int writeGroup(List<PlannedFrontend> group, Map<ServiceKey, Map<Long, MaglevTables.Table>> tables) {
        if (group.isEmpty()) {
            return 0;
        }
        int operations = 0;
        List<FrontendWrite<Lb4Key>> writes = new ArrayList<>(group.size());
        try {
            for (PlannedFrontend p : group) {
                ProgrammedFrontend want = p.want();
                int previousSlots = p.have() == null ? 0 : p.have().slotCount();
                if (p.table() != null) {
                    Map<Long, MaglevTables.Table> byDigest = tables.get(p.owner());
                    MaglevTables.Table filled = byDigest.get(want.maglevDigest());
                    if (filled == null) {
                        filled = maps.createMaglevTable(want.service().serviceId(), p.table());
                        byDigest.put(want.maglevDigest(), filled);
                        operations++;
                    }
                    writes.add(FrontendWrite.maglev(p.key(), want.service(), filled, previousSlots));
                    operations += 2;
                } else {
                    writes.add(FrontendWrite.slots(p.key(), want.service(), want.backendIds(), previousSlots,
                            p.have() != null && p.have().isMaglev()));
                    operations += 1 + want.backendIds().length;
                }
            }
            maps.writeFrontends(writes);
        } finally {
            tables.values().forEach(byDigest -> byDigest.values().forEach(MaglevTables.Table::close));
            tables.clear();
        }
        int maglev = 0;
        for (PlannedFrontend p : group) {
            maglev += p.table() != null ? 1 : 0;
            if (p.have() != null) {
                flushLeavers(p.key(), p.want().service().serviceId(), p.have().backendIds(), p.want().backendIds());
            }
            if (sweep != null && sweep.pending()) {
                for (int id : p.want().backendIds()) {
                    sweep.serviceBackendBack(p.want().service().serviceId(), id);
                }
            }
            reference(p.have(), -1);
            reference(p.want(), 1);
            setProgrammed(p.key(), p.want());
            claimFrontend(p.owner(), p.key());
        }
        count(MapName.LB_MAGLEV, "update", maglev);
        count(MapName.LB4_SLOTS, "update", group.size() - maglev);
        count(MapName.LB4_SERVICES, "update", group.size());
        return operations;
    }

    /** Destroys the sockets of the pairs this flush recorded; a failure is logged and counted, never retried. */
    private void destroyStaleSockets() {
        if (leftUdpFrontends.isEmpty()) {
            return;
        }
        try {
            Map<Integer, Integer> destroyed = staleSockets.destroy(leftUdpFrontends);
            int total = destroyed.values().stream().mapToInt(Integer::intValue).sum();
            metrics.staleSocketsDestroyed(total);
            if (total > 0) {
                LOG.info("destroyed {} connected UDP sockets of backends that left their service (by backend id: {})",
                        total, destroyed);
            }
        } catch (RuntimeException e) {
            metrics.mapErrors(SocketDestroyer.MAP).inc();
            LOG.warn("destroying connected UDP sockets of {} backends that left their service failed",
                    leftUdpFrontends.size(), e);
        } finally {
            leftUdpFrontends.clear();
        }
    }

    /**
     * Removes frontends that their Services no longer have (each with the Service that had it; null when none
     * does), except those {@code claimed} by a Service of the same batch: entries, then slots and tables, in batch
     * syscalls. Their ids are released; their backends are left to {@link #releaseUnusedBackends}.
     */
    private int removeFrontends(List<Map.Entry<ServiceKey, Lb4Key>> gone, Set<Lb4Key> claimed) {
        List<FrontendRemoval<Lb4Key>> removals = new ArrayList<>();
        int operations = 0;
        for (Map.Entry<ServiceKey, Lb4Key> g : gone) {
            ProgrammedFrontend have = claimed.contains(g.getValue()) ? null : programmed.get(g.getValue());
            if (have != null) {
                removals.add(new FrontendRemoval<>(g.getValue(), have.service().serviceId(), have.slotCount(), have.isMaglev()));
                operations += 1 + (have.isMaglev() ? 1 : have.slotCount());
            }
        }
        maps.removeFrontends(removals);
        int maglev = 0;
        for (FrontendRemoval<Lb4Key> r : removals) {
            ProgrammedFrontend have = programmed.get(r.frontend());
            maglev += have.isMaglev() ? 1 : 0;
            flushLeavers(r.frontend(), have.service().serviceId(), have.backendIds(), NO_IDS);
            reference(have, -1);
            setProgrammed(r.frontend(), null);
        }
        count(MapName.LB4_SERVICES, "delete", removals.size());
        count(MapName.LB_MAGLEV, "delete", maglev);
        count(MapName.LB4_SLOTS, "delete", removals.size() - maglev);
        for (Map.Entry<ServiceKey, Lb4Key> g : gone) {
            if (!claimed.contains(g.getValue())) {
                frontendIds.release(ServiceIds.frontendKey(g.getValue()));
            }
            if (g.getKey() != null) {
                unclaimFrontend(g.getKey(), g.getValue());
            }
        }
        return operations;
    }

    /** Records that Service {@code owner} has frontend {@code key}. */
    private void claimFrontend(ServiceKey owner, Lb4Key key) {
        Set<Lb4Key> owned = frontendsOf.get(owner);
        if (owned == null) {
            frontendsOf.put(owner, Set.of(key));
        } else if (!owned.contains(key)) {
            Lb4Key[] keys = owned.toArray(new Lb4Key[owned.size() + 1]);
            keys[owned.size()] = key;
            frontendsOf.put(owner, Set.of(keys));
        }
    }

    /** Records that Service {@code owner} no longer has frontend {@code key} (an emptied Service keeps an empty set). */
    private void unclaimFrontend(ServiceKey owner, Lb4Key key) {
        Set<Lb4Key> owned = frontendsOf.get(owner);
        if (owned != null && owned.contains(key)) {
            frontendsOf.put(owner, owned.stream().filter(k -> !k.equals(key)).collect(Collectors.toUnmodifiableSet()));
        }
    }

    /** Records what the maps hold for {@code key} (null: nothing), keeping the count of Maglev frontends. */
    private void setProgrammed(Lb4Key key, ProgrammedFrontend frontend) {
        ProgrammedFrontend before = frontend == null ? programmed.remove(key) : programmed.put(key, frontend);
        maglevFrontends += (frontend != null && frontend.isMaglev() ? 1 : 0) - (before != null && before.isMaglev() ? 1 : 0);
    }

    /**
     * Removes the backends no slot uses any more with batch syscalls. Their ids are released at once without a flow
     * sweep, else once the sweep has removed their flows (the data path already ignores a flow whose backend is gone
     * from {@code lb4_backends}).
     */
    private int releaseUnusedBackends() {
        Set<Integer> unused = new LinkedHashSet<>();
        for (IntHashSet.IntIterator it = maybeUnused.iterator(); it.hasNext(); ) {
            int id = it.nextValue();
            if (!slotReferences.containsKey(id) && programmedBackends.containsKey(id)) {
                unused.add(id);
            }
        }
        if (!unused.isEmpty()) {
            if (unused.size() == 1) {
                maps.removeBackend(unused.iterator().next());
            } else {
                maps.removeBackends(unused);
            }
            count(MapName.LB4_BACKENDS, "delete", unused.size());
            for (Integer id : unused) {
                programmedBackends.remove(id.intValue());
                if (sweep == null) {
                    backendIds.releaseId(id);
                } else {
                    sweepingBackends.add(id.intValue());
                    sweep.backendRemoved(id);
                }
            }
        }
        if (maybeUnused.size() > SMALL_SET) {
            maybeUnused = new IntHashSet();
        } else {
            maybeUnused.clear();
        }
        return unused.size();
    }

    /**
     * One bounded step of the flow sweep (see {@link StaleFlowSweep}): removes stale flows of the backends that left a
     * service or went, and releases the ids of removed backends once their flows are gone.
     */
    @Override
    public int backgroundStep() {
        if (sweep == null || !sweep.pending()) {
            return 0;
        }
        if (!sweep.passRunning()) {
            // Passes back to back under a stream of moved endpoints kept a core walking empty flow maps.
            long now = System.nanoTime();
            if (now - lastSweepPassNanos < SWEEP_PASS_INTERVAL_NANOS) {
                return 0;
            }
            lastSweepPassNanos = now;
        }
        int before = sweep.removed();
        int held = sweepingBackends.size();
        int work = sweep.step(releaseSweptBackend);
        if (sweep.removed() != before) {
            count(MapName.CT4_ENTRIES, "flush");
        }
        if (sweepingBackends.size() != held) {
            backendIds.persist(); // the releases
        }
        return work;
    }

    private void releaseSweptBackend(int id) {
        if (sweepingBackends.remove(id)) {
            backendIds.releaseId(id);
        }
    }

    /**
     * Hands the flows of {@code serviceId} to each backend that was in {@code before} and is not in {@code after} to
     * the flow sweep; for a UDP frontend, also records the pair so the flush ends by
     * destroying the sockets sent there.
     */
    private void flushLeavers(Lb4Key frontend, int serviceId, int[] before, int[] after) {
        IdLookup staying = new IdLookup(after);
        IdLookup earlier = new IdLookup(before);
        for (int i = 0; i < before.length; i++) {
            int id = before[i];
            if (staying.contains(id) || earlier.firstIndexOf(id) < i) { // staying, or already seen at an earlier slot
                continue;
            }
            if (sweep != null) {
                sweep.serviceBackendLeft(serviceId, id);
            }
            long packed = programmedBackends.get(id);
            Lb4Backend backend = packed == NO_BACKEND ? null : Lb4Backend.unpacked(packed);
            if (staleSockets != null && frontend.protocol() == IpProtocol.UDP && backend != null) {
                leftUdpFrontends.put(SockDestroyKey.ofIpv4(frontend.address(), frontend.port(), backend.address(),
                        backend.port()), id);
            }
        }
    }

    /** Adds {@code delta} to the references of each backend {@code frontend} points at. */
    private void reference(ProgrammedFrontend frontend, int delta) {
        if (frontend == null) {
            return;
        }
        for (int id : frontend.backendIds()) {
            int references = slotReferences.get(id) + delta;
            if (references == 0) {
                slotReferences.remove(id);
                maybeUnused.add(id);
            } else {
                slotReferences.put(id, references);
            }
        }
    }

    private int pruneUnclaimed() {
        Set<Lb4Key> claimed = HashSet.newHashSet(programmed.size()); // sized: no rehash of 10,000 keys as it grows
        frontendsOf.values().forEach(claimed::addAll);
        List<Map.Entry<ServiceKey, Lb4Key>> unclaimed = new ArrayList<>();
        for (Lb4Key key : programmed.keySet()) {
            if (!claimed.contains(key)) {
                LOG.info("removing frontend {}: no Service has it any more", key);
                unclaimed.add(new AbstractMap.SimpleImmutableEntry<ServiceKey, Lb4Key>(null, key));
            }
        }
        int operations = removeFrontends(unclaimed, Set.of());
        return operations + removeOrphanMaglevTables(); // the flush then releases the backends left unused
    }

    /**
     * Removes Maglev tables that no programmed frontend uses (left by an agent that stopped between writing a table
     * and its frontend). IPv6 frontends are not programmed by this reconciler, so every table is its to judge.
     */
    private int removeOrphanMaglevTables() {
        Set<Integer> tables = maps.maglevServiceIds();
        if (tables.isEmpty()) {
            return 0; // no Maglev Service: no walk over every programmed frontend at the end of a first sync
        }
        Set<Integer> inUse = new HashSet<>();
        for (ProgrammedFrontend f : programmed.values()) {
            if (f.isMaglev()) {
                inUse.add(f.service().serviceId());
            }
        }
        int operations = 0;
        for (Integer serviceId : tables) {
            if (!inUse.contains(serviceId)) {
                LOG.info("removing the Maglev table of service id {}: no frontend uses it", Integer.toUnsignedString(serviceId));
                maps.removeMaglevTable(serviceId);
                count(MapName.LB_MAGLEV, "delete");
                operations++;
            }
        }
        return operations;
    }

    /** Starts from the pinned maps' contents, so a restart only writes what changed. */
    private void adoptWhatTheMapsHold() {
        Map<Lb4Key, Lb4Service> services = maps.services();
        Map<Integer, Lb4Backend> backends = maps.backends();
        for (Map.Entry<Lb4Key, Lb4Service> e : services.entrySet()) {
            Lb4Service service = e.getValue();
            ProgrammedFrontend adopted;
            if ((service.flags() & DatapathConstants.LB_F_MAGLEV) == 0) {
                adopted = ProgrammedFrontend.slots(service, maps.slotsOf(service.serviceId(), service.backendCount())
                        .stream().mapToInt(Integer::intValue).toArray());
            } else {
                Optional<int[]> table = maps.maglevTable(service.serviceId());
                adopted = table.isPresent() ? ProgrammedFrontend.maglev(service, table.get())
                        : moveLegacyTable(e.getKey(), service);
            }
            setProgrammed(e.getKey(), adopted);
            reference(adopted, 1);
        }
        backends.forEach((id, backend) -> {
            programmedBackends.put(id.intValue(), backend.packed());
            maybeUnused.add(id.intValue()); // a backend no adopted slot points at is an orphan
        });
        restoreIds(services, backends);
        heldUntilSynced = new HashSet<>(services.keySet());
        if (!services.isEmpty()) {
            LOG.info("adopted {} frontends and {} backends from the pinned maps", services.size(), backends.size());
        }
    }

    /**
     * Makes the id files agree with the ids the pinned maps hold, which win where they differ (a state directory lost
     * or older than the maps): no id a map refers to is handed to another frontend or backend.
     */
    private void restoreIds(Map<Lb4Key, Lb4Service> services, Map<Integer, Lb4Backend> backends) {
        int[] serviceIds = new int[services.size()];
        long[] frontends = new long[serviceIds.length];
        int i = 0;
        for (Map.Entry<Lb4Key, Lb4Service> e : services.entrySet()) {
            serviceIds[i] = e.getValue().serviceId();
            frontends[i++] = ServiceIds.frontendKey(e.getKey());
        }
        int[] backendIdsHeld = new int[backends.size()];
        long[] backendKeys = new long[backendIdsHeld.length];
        i = 0;
        for (Map.Entry<Integer, Lb4Backend> e : backends.entrySet()) {
            backendIdsHeld[i] = e.getKey();
            backendKeys[i++] = ServiceIds.backendKey(e.getValue());
        }
        int changed = frontendIds.restore(serviceIds, frontends) + backendIds.restore(backendIdsHeld, backendKeys);
        if (changed > 0) {
            LOG.warn("{} ids in {} and {} differed from the pinned maps; the maps' ids are kept", changed,
                    frontendIds.file(), backendIds.file());
        }
    }

    /**
     * An agent older than {@code lb_maglev} kept a Maglev table in the slots ({@code backend_count} of them), which
     * the data path still reads while {@code lb_maglev} has no table for the frontend: moves it there (table, then
     * the entry with {@code backend_count} = distinct backends, then the old slots out), so that nothing changes
     * for a flow. Slots that are incomplete adopt as an empty table, which differs from any desired one: rewritten.
     */
    private ProgrammedFrontend moveLegacyTable(Lb4Key frontend, Lb4Service legacy) {
        List<Integer> slots = maps.slotsOf(legacy.serviceId(), legacy.backendCount());
        if (legacy.backendCount() == 0 || slots.contains(0)) {
            return ProgrammedFrontend.maglev(legacy, new int[0]);
        }
        int[] table = slots.stream().mapToInt(Integer::intValue).toArray();
        Lb4Service moved = new Lb4Service(legacy.serviceId(), (int) Arrays.stream(table).distinct().count(), legacy.flags(),
                legacy.affinityTimeoutSeconds());
        maps.putMaglevService(frontend, moved, table, legacy.backendCount());
        count(MapName.LB_MAGLEV, "update");
        LOG.info("moved the Maglev table of frontend {} ({} slots) from lb4_slots to lb_maglev", frontend, table.length);
        return ProgrammedFrontend.maglev(moved, table);
    }

    private void count(MapName map, String op) {
        metrics.mapOperations(map.cName(), op).inc();
    }

    private void count(MapName map, String op, int operations) {
        if (operations > 0) {
            metrics.mapOperations(map.cName(), op).inc(operations);
        }
    }

    /** The Service {@code slice} belongs to (its {@link Store#SERVICE_NAME_LABEL} label), or null. */
    static String serviceNameOf(EndpointSlice slice) {
        Map<String, String> labels = slice.getMetadata() == null ? null : slice.getMetadata().getLabels();
        return labels == null ? null : labels.get(Store.SERVICE_NAME_LABEL);
    }

    static Lb4Key lb4Key(ServiceFrontend frontend, TrafficScope scope) {
        return new Lb4Key(new Ipv4(frontend.address().ip().ipv4Bits()), frontend.address().port(),
                protocolOf(frontend.address().protocol()), scope == TrafficScope.EXTERNAL ? LbScope.EXTERNAL : LbScope.INTERNAL);
    }

    static IpProtocol protocolOf(io.sluice.servicelb.L4Protocol protocol) {
        return switch (protocol) {
            case TCP -> IpProtocol.TCP;
            case UDP -> IpProtocol.UDP;
            default -> throw new IllegalArgumentException("the data path does not balance " + protocol);
        };
    }

    /** A frontend to write: the Service it belongs to, what it should be, what the maps hold, its Maglev table. */
    private record PlannedFrontend(ServiceKey owner, Lb4Key key, ProgrammedFrontend want, ProgrammedFrontend have,
                                   int[] table) {
    }

    /** The difference of a batch of Services, written in the safe order by {@link #reconcile(List)}. */
    /**
     * Membership and first position of ids in a frontend's backend ids: a scan for the usual few (no allocation on
     * the churn path), a hash index for large ones (a Maglev table's distinct backends, up to thousands).
     */
    private static final class IdLookup {
        private static final int SCAN_LIMIT = 32;
        private final int[] ids;
        private final Int2IntHashMap firstIndex;

        IdLookup(int[] ids) {
            this.ids = ids;
            if (ids.length <= SCAN_LIMIT) {
                this.firstIndex = null;
            } else {
                this.firstIndex = new Int2IntHashMap(ids.length * 2, 0.65f, -1);
                for (int i = ids.length - 1; i >= 0; i--) {
                    firstIndex.put(ids[i], i);
                }
            }
        }

        boolean contains(int id) {
            return firstIndexOf(id) >= 0;
        }

        /** The first position of {@code id}, or -1. */
        int firstIndexOf(int id) {
            if (firstIndex != null) {
                return firstIndex.get(id);
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == id) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * Backends to create or replace, each id once (a later put replaces the backend), by int id: a first sync plans
     * 100,000 of them, and a map of boxed ids held a boxed id and a map entry for each.
     */
    private static final class BackendWrites {
        final IntArrayList ids = new IntArrayList();
        final List<Lb4Backend> backends = new ArrayList<>();
        private final Int2IntHashMap indexOfId = new Int2IntHashMap(-1);

        void put(int id, Lb4Backend backend) {
            int index = indexOfId.get(id);
            if (index < 0) {
                indexOfId.put(id, ids.size());
                ids.addInt(id);
                backends.add(backend);
            } else {
                backends.set(index, backend);
            }
        }
    }

    private static final class WritePlan {
        /** Backends to create or replace. */
        final BackendWrites backends = new BackendWrites();
        /** Frontends to write, grouped by Service in the order planned. */
        final Map<Lb4Key, PlannedFrontend> frontends = new LinkedHashMap<>();
        /** Frontends already as wanted, with the Service that claims them. */
        final List<Map.Entry<ServiceKey, Lb4Key>> unchanged = new ArrayList<>();
        /** Frontends a Service no longer has. */
        final List<Map.Entry<ServiceKey, Lb4Key>> gone = new ArrayList<>();
        /** Services that want no frontend. */
        final List<ServiceKey> emptied = new ArrayList<>();
    }

    /**
     * A frontend as the maps want it: flags, affinity, its distinct backends and, for Maglev, the table as indices
     * into them (null otherwise: then the backends are the slots, in order).
     */
    record DesiredEntry(int flags, int affinityTimeout, List<Lb4Backend> backends, int[] maglevTable) {
        static DesiredEntry of(DesiredFrontend desired) {
            ServiceFrontend frontend = desired.frontend();
            int flags = 0;
            if (frontend.affinity().clientIp()) {
                flags |= DatapathConstants.LB_F_AFFINITY;
            }
            if (frontend.has(FrontendFlag.LOCAL_ONLY)) {
                flags |= DatapathConstants.LB_F_LOCAL_ONLY;
            }
            if (frontend.has(FrontendFlag.SNAT_REMOTE_BACKENDS)) {
                flags |= DatapathConstants.LB_F_SNAT_REMOTE;
            }
            List<Lb4Backend> backends = new ArrayList<>();
            int[] table = null;
            if (desired.verdict() == FrontendVerdict.FORWARD) {
                if (frontend.algorithm() == LbAlgorithm.MAGLEV) {
                    flags |= DatapathConstants.LB_F_MAGLEV;
                    desired.maglev().backends().forEach(b -> backends.add(backendOf(b)));
                    table = desired.maglev().toArray();
                } else {
                    desired.backends().forEach(b -> backends.add(backendOf(b)));
                }
            }
            return new DesiredEntry(flags, frontend.affinity().clientIp() ? frontend.affinity().timeoutSeconds() : 0,
                    List.copyOf(backends), table);
        }

        private static Lb4Backend backendOf(ServiceBackend backend) {
            return new Lb4Backend(new Ipv4(backend.address().ipv4Bits()), backend.port(), protocolOf(backend.protocol()),
                    backend.local() ? DatapathConstants.LB_BACKEND_F_LOCAL : 0);
        }
    }
}
