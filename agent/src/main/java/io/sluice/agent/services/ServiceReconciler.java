package io.sluice.agent.services;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.agent.datapath.StaleSocketDestroyer;
import io.sluice.agent.ids.StableIdAllocator;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.Store;
import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.DatapathConstants;
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
import io.sluice.servicelb.TranslationResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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

    private final ServiceTranslator translator;
    private final ServiceMaps maps;
    private final StableIdAllocator frontendIds;
    private final StableIdAllocator backendIds;
    private final AgentMetrics metrics;
    private final List<AutoCloseable> owned = new ArrayList<>();

    private final Set<ServiceKey> dirty = new TreeSet<>();
    private final Map<Lb4Key, ProgrammedFrontend> programmed = new HashMap<>();
    private final Map<Integer, Lb4Backend> programmedBackends = new HashMap<>();
    /**
     * How many slots of programmed frontends point at each backend id, so that finding the backends nobody uses
     * costs what changed, not every slot of every frontend (which made each change O(all slots)).
     */
    private final Map<Integer, Integer> slotReferences = new HashMap<>();
    /** Backends that may have lost their last slot, or were written for a frontend whose write then failed. */
    private final Set<Integer> maybeUnused = new HashSet<>();
    /** Flows to flush when a backend leaves a service or goes; null when the caller keeps no conntrack. */
    private ConntrackMaps conntrack;
    /**
     * (service, backend) pairs whose flows go at the end of this flush, with the backends it removes: one read of the
     * flow maps per flush, not per leaver (each read walks 2 x 262,144 buckets, ~1 ms, per moved endpoint before).
     */
    private final Set<ConntrackMaps.ServiceBackend> leftServices = new HashSet<>();
    /** Connected UDP sockets to destroy when their backend leaves a frontend; null when the kernel cannot. */
    private StaleSocketDestroyer staleSockets;
    /** (UDP frontend, backend that left it) pairs of this flush, destroyed once its writes are done. */
    private final Map<SockDestroyKey, Integer> leftUdpFrontends = new LinkedHashMap<>();
    private final Map<ServiceKey, Set<Lb4Key>> frontendsOf = new HashMap<>();
    /** Which Service each EndpointSlice belonged to when last seen, to find it again once the slice is deleted. */
    private final Map<ObjectKey, String> sliceOwners = new HashMap<>();
    /** The writer's store, as handed to {@link #onChange}; read during {@link #flush()}. */
    private Store store;
    private boolean prunePending;

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
        this.conntrack = maps;
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
    public void onStoreSynced(Store store) {
        this.store = store;
        // Every Service is dirty or already handled: frontends that none claims after the next flush are orphans.
        store.forEach(ResourceKind.SERVICE, s -> dirty.add(keyOf(s)));
        prunePending = true;
    }

    @Override
    public int flush() {
        int operations = 0;
        while (!dirty.isEmpty()) {
            ServiceKey key = dirty.iterator().next();
            operations += reconcile(key, desiredOf(key));
            dirty.remove(key);
        }
        if (prunePending) {
            operations += pruneUnclaimed();
            prunePending = false;
        }
        operations += releaseUnusedBackends();
        destroyStaleSockets();
        metrics.mapEntries(MapName.LB4_SERVICES.cName()).set(programmed.size());
        metrics.mapEntries(MapName.LB4_BACKENDS.cName()).set(programmedBackends.size());
        metrics.mapEntries(MapName.LB_MAGLEV.cName()).set(programmed.values().stream().filter(ProgrammedFrontend::isMaglev).count());
        return operations;
    }

    private Map<Lb4Key, DesiredEntry> desiredOf(ServiceKey key) {
        Service service = store == null ? null : store.get(ResourceKind.SERVICE, key.namespace(), key.name(), Service.class);
        if (service == null) {
            return Map.of();
        }
        List<EndpointSlice> slices = store.endpointSlicesOf(key.namespace(), key.name());
        TranslationResult result = translator.translate(service, slices);
        for (Refusal refusal : result.refusals()) {
            LOG.warn("refused {}", refusal);
            metrics.objectRefused(refusal.object().kind(), refusal.reason().metricLabel());
        }
        DesiredService desired = result.services().get(key);
        if (desired == null) {
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

    /** Writes one Service's difference; returns the number of map operations. */
    private int reconcile(ServiceKey key, Map<Lb4Key, DesiredEntry> desired) {
        int operations = 0;
        // A copy: removeFrontend takes each gone key out of the live set while this loop walks it.
        Set<Lb4Key> before = Set.copyOf(frontendsOf.getOrDefault(key, Set.of()));
        // The frontends of one Service port (cluster IP, node ports, external IPs) mostly have the same Maglev table:
        // written once, shared by all of them in the kernel.
        Map<Long, MaglevTables.Table> tablesWritten = new HashMap<>();
        try {
            for (Map.Entry<Lb4Key, DesiredEntry> e : desired.entrySet()) {
                operations += writeFrontend(key, e.getKey(), e.getValue(), tablesWritten);
            }
        } finally {
            tablesWritten.values().forEach(MaglevTables.Table::close);
        }
        for (Lb4Key gone : before) {
            if (!desired.containsKey(gone)) {
                operations += removeFrontend(key, gone);
            }
        }
        if (desired.isEmpty()) {
            frontendsOf.remove(key);
        }
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

    private int writeFrontend(ServiceKey owner, Lb4Key key, DesiredEntry entry, Map<Long, MaglevTables.Table> tablesWritten) {
        int operations = 0;
        List<Integer> ids = new ArrayList<>(entry.backends().size());
        for (Lb4Backend backend : entry.backends()) {
            int id = backendIds.idOf(backendKey(backend));
            if (!backend.equals(programmedBackends.get(id))) {
                maps.putBackend(id, backend);
                count(MapName.LB4_BACKENDS, "update");
                programmedBackends.put(id, backend);
                maybeUnused.add(id);
                operations++;
            }
            ids.add(id);
        }
        int serviceId = frontendIds.idOf(frontendKey(key));
        int[] table = null;
        ProgrammedFrontend want;
        if (entry.maglevTable() != null) {
            table = new int[entry.maglevTable().length];
            for (int slot = 0; slot < table.length; slot++) {
                table[slot] = ids.get(entry.maglevTable()[slot]);
            }
            want = ProgrammedFrontend.maglev(
                    new Lb4Service(serviceId, ids.size(), entry.flags(), entry.affinityTimeout()), table);
        } else {
            want = ProgrammedFrontend.slots(
                    new Lb4Service(serviceId, ids.size(), entry.flags(), entry.affinityTimeout()), ids);
        }
        ProgrammedFrontend have = programmed.get(key);
        if (!want.equals(have)) {
            int previousSlots = have == null ? 0 : have.slotCount();
            if (table != null) {
                MaglevTables.Table filled = tablesWritten.get(want.maglevDigest());
                if (filled == null) {
                    filled = maps.createMaglevTable(serviceId, table);
                    tablesWritten.put(want.maglevDigest(), filled);
                    operations++;
                }
                maps.putMaglevService(key, want.service(), filled, previousSlots);
                count(MapName.LB_MAGLEV, "update");
                operations += 2;
            } else {
                maps.putService(key, want.service(), ids, previousSlots);
                count(MapName.LB4_SLOTS, "update");
                operations += 1 + ids.size();
            }
            count(MapName.LB4_SERVICES, "update");
            if (have != null) {
                flushLeavers(key, serviceId, have.backendIds(), new HashSet<>(want.backendIds()));
            }
            reference(have, -1);
            reference(want, 1);
            programmed.put(key, want);
        }
        frontendsOf.computeIfAbsent(owner, k -> new HashSet<>()).add(key);
        return operations;
    }

    private int removeFrontend(ServiceKey owner, Lb4Key key) {
        ProgrammedFrontend have = programmed.get(key);
        if (have != null) {
            maps.removeService(key, have.service().serviceId(), have.slotCount());
            count(MapName.LB4_SERVICES, "delete");
            count(have.isMaglev() ? MapName.LB_MAGLEV : MapName.LB4_SLOTS, "delete");
            flushLeavers(key, have.service().serviceId(), have.backendIds(), Set.of());
            reference(have, -1);
            programmed.remove(key);
        }
        frontendIds.release(frontendKey(key));
        Set<Lb4Key> owned = owner == null ? null : frontendsOf.get(owner);
        if (owned != null) {
            owned.remove(key);
        }
        return have == null ? 0 : 1 + (have.isMaglev() ? 1 : have.slotCount());
    }

    /**
     * Flushes the flows of the backends that left a service in this flush, and of those no slot uses any more, then
     * removes the latter (their flows first, so no flow points at a missing backend).
     */
    private int releaseUnusedBackends() {
        Set<Integer> unused = new HashSet<>();
        for (Integer id : maybeUnused) {
            if (!slotReferences.containsKey(id) && programmedBackends.containsKey(id)) {
                unused.add(id);
            }
        }
        if (conntrack != null && (!unused.isEmpty() || !leftServices.isEmpty())) {
            conntrack.flushAll(leftServices, unused);
            count(MapName.CT4_ENTRIES, "flush");
            leftServices.clear();
        }
        int operations = 0;
        for (Iterator<Integer> it = maybeUnused.iterator(); it.hasNext(); ) {
            Integer id = it.next();
            if (unused.contains(id)) {
                maps.removeBackend(id);
                count(MapName.LB4_BACKENDS, "delete");
                backendIds.release(backendKey(programmedBackends.remove(id)));
                operations++;
            }
            it.remove();
        }
        return operations;
    }

    /**
     * Records that the flows of {@code serviceId} to each backend that was in {@code before} and is not in
     * {@code after} go at the end of the flush; for a UDP frontend, also records the pair so the flush ends by
     * destroying the sockets sent there.
     */
    private void flushLeavers(Lb4Key frontend, int serviceId, List<Integer> before, Set<Integer> after) {
        for (Integer id : new HashSet<>(before)) {
            if (after.contains(id)) {
                continue;
            }
            if (conntrack != null) {
                leftServices.add(new ConntrackMaps.ServiceBackend(serviceId, id));
            }
            Lb4Backend backend = programmedBackends.get(id);
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
        for (Integer id : frontend.backendIds()) {
            if (slotReferences.merge(id, delta, Integer::sum) == 0) {
                slotReferences.remove(id);
                maybeUnused.add(id);
            }
        }
    }

    private int pruneUnclaimed() {
        Set<Lb4Key> claimed = new HashSet<>();
        frontendsOf.values().forEach(claimed::addAll);
        int operations = 0;
        for (Lb4Key key : new ArrayList<>(programmed.keySet())) {
            if (!claimed.contains(key)) {
                LOG.info("removing frontend {}: no Service has it any more", key);
                operations += removeFrontend(null, key);
            }
        }
        return operations + removeOrphanMaglevTables() + releaseUnusedBackends();
    }

    /**
     * Removes Maglev tables that no programmed frontend uses (left by an agent that stopped between writing a table
     * and its frontend). IPv6 frontends are not programmed by this reconciler, so every table is its to judge.
     */
    private int removeOrphanMaglevTables() {
        Set<Integer> inUse = new HashSet<>();
        programmed.values().stream().filter(ProgrammedFrontend::isMaglev).forEach(f -> inUse.add(f.service().serviceId()));
        int operations = 0;
        for (Integer serviceId : maps.maglevServiceIds()) {
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
                adopted = ProgrammedFrontend.slots(service, maps.slotsOf(service.serviceId(), service.backendCount()));
            } else {
                Optional<int[]> table = maps.maglevTable(service.serviceId());
                adopted = table.isPresent() ? ProgrammedFrontend.maglev(service, table.get())
                        : moveLegacyTable(e.getKey(), service);
            }
            programmed.put(e.getKey(), adopted);
            reference(adopted, 1);
        }
        programmedBackends.putAll(backends);
        maybeUnused.addAll(backends.keySet()); // a backend no adopted slot points at is an orphan
        if (!services.isEmpty()) {
            LOG.info("adopted {} frontends and {} backends from the pinned maps", services.size(), backends.size());
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

    private static String serviceNameOf(EndpointSlice slice) {
        Map<String, String> labels = slice.getMetadata() == null ? null : slice.getMetadata().getLabels();
        return labels == null ? null : labels.get(Store.SERVICE_NAME_LABEL);
    }

    private static ServiceKey keyOf(HasMetadata service) {
        return new ServiceKey(service.getMetadata().getNamespace(), service.getMetadata().getName());
    }

    private static Lb4Key lb4Key(ServiceFrontend frontend, TrafficScope scope) {
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

    private static String frontendKey(Lb4Key key) {
        return "frontend:" + key.address() + ":" + key.port() + "/" + key.protocol() + "/" + key.scope();
    }

    private static String backendKey(Lb4Backend backend) {
        return "backend:" + backend.address() + ":" + backend.port() + "/" + backend.protocol();
    }

    /**
     * A frontend as the maps want it: flags, affinity, its distinct backends and, for Maglev, the table as indices
     * into them (null otherwise: then the backends are the slots, in order).
     */
    private record DesiredEntry(int flags, int affinityTimeout, List<Lb4Backend> backends, int[] maglevTable) {
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
