package io.sluice.agent.policy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.sluice.agent.config.AgentConfig;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.writer.Reconciler;
import io.sluice.agent.writer.Store;
import io.sluice.loader.BpfMap;
import io.sluice.maps.DatapathCounters;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ipcache4Key;
import io.sluice.maps.Ipv4;
import io.sluice.maps.MapName;
import io.sluice.maps.Policy4Key;
import io.sluice.maps.PolicyConstants;
import io.sluice.maps.PolicyDatapathState;
import io.sluice.maps.PolicyDirection;
import io.sluice.maps.PolicyMaps;
import io.sluice.maps.PolicyWritePlan;
import io.sluice.policy.Direction;
import io.sluice.policy.EndpointPolicy;
import io.sluice.policy.EntrySet;
import io.sluice.policy.IdentityStore;
import io.sluice.policy.IpPrefix;
import io.sluice.policy.PodRef;
import io.sluice.policy.PolicyChangeSet;
import io.sluice.policy.PolicyEngine;
import io.sluice.policy.PolicyEntry;
import io.sluice.policy.PolicyRef;
import io.sluice.policy.Protocol;
import io.sluice.policy.Refusal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the policy maps equal to what the Pods, Namespaces, NetworkPolicies and this Node in the store ask for.
 *
 * <p>Every change goes into the {@link PolicyEngine} at once (it compiles incrementally), also while the store is
 * still being filled; nothing is written before the store is complete for the first time
 * ({@link #onStoreSynced}), when the engine frees identities nobody claims. The first flush then compares the
 * engine's whole state with what the pinned maps held at start (a restarted agent writes only what changed and
 * prunes what nobody claims; identities and endpoint ids come from a persisted store); later flushes take only the
 * endpoints and ipcache prefixes the engine's change sets touched. Each flush plans its writes from what the maps
 * hold for those ({@link PolicyWritePlan}: no window in which traffic both the old and the new policy allow is
 * dropped; the revision bumped last) and records them as written only once every write succeeded, so a failed
 * flush is planned and replayed again.
 *
 * <p>Endpoints: this node's pods with an IPv4 address (IPv6-only pods are not enforced: the maps are IPv4). Host
 * addresses (identity HOST): the configured node addresses and this Node's status addresses. Refused objects are
 * logged and counted by reason ({@code sluice_objects_refused_total}).
 *
 * <p>Owned by the writer thread.
 */
public final class PolicyReconciler implements Reconciler, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyReconciler.class);
    /** The policy engine's persisted identities and endpoint ids, in the agent's state directory. */
    public static final String IDENTITY_FILE = "policy-ids.dat";
    /** The Unix socket {@code sluice monitor} connects to, in the agent's state directory. */
    public static final String MONITOR_SOCKET = "monitor.sock";

    private final String nodeName;
    private final PolicyEngine engine;
    private final PolicyMaps maps;
    private final PodInterfaces interfaces;
    private final AgentMetrics metrics;
    private final PolicyMetrics policyMetrics;
    private final List<String> configuredHostAddresses;
    private final List<AutoCloseable> owned = new ArrayList<>();

    private final Map<PodRef, Ipv4> podAddresses = new HashMap<>();

    // What the maps should hold, kept from the engine's change sets once the store is complete.
    private final Map<PodRef, EndpointPolicy> localPolicies = new HashMap<>();
    private final Map<Ipcache4Key, Integer> desiredIpcache = new HashMap<>();
    private final Set<PodRef> dirtyPods = new HashSet<>();
    private final Set<Ipcache4Key> dirtyPrefixes = new HashSet<>();

    // What the maps hold, by owner: written only after a plan was applied in full.
    private final Map<Ipcache4Key, Integer> programmedIpcache = new HashMap<>();
    private final Map<PodRef, Slot> programmedEndpoints = new HashMap<>();
    private final Map<Ipv4, PodRef> addressOwners = new HashMap<>();
    private final Map<Integer, PodRef> interfaceOwners = new HashMap<>();
    private int programmedEntries;
    /** How many of {@link #programmedIpcache} are /32s ({@code ipcache4_hosts}). */
    private int programmedHosts;
    /** The maps' content found at start, compared with everything at the first flush; then null. */
    private PolicyDatapathState adopted;
    private final Set<PodRef> warnedCollisions = new HashSet<>();
    private boolean synced;
    private boolean fullPending;

    /** One local endpoint as written: its address, map value, whether it holds its interface's entry, its policy. */
    private record Slot(Ipv4 address, Ep4Info info, boolean ownsInterface, EndpointPolicy policy) {
    }

    /**
     * A reconciler over maps already opened.
     *
     * @param identities the engine's identity store (the agent's is persisted, see {@link ChronicleIdentityStore})
     * @param configuredHostAddresses node addresses from the configuration; the Node's own status adds to them
     */
    public PolicyReconciler(String nodeName, IdentityStore identities, PolicyMaps maps, PodInterfaces interfaces,
                            AgentMetrics metrics, PolicyMetrics policyMetrics, List<String> configuredHostAddresses) {
        this.nodeName = nodeName;
        this.engine = new PolicyEngine(nodeName, identities);
        this.maps = maps;
        this.interfaces = interfaces;
        this.metrics = metrics;
        this.policyMetrics = policyMetrics;
        this.configuredHostAddresses = List.copyOf(configuredHostAddresses);
        this.adopted = maps.read();
        handle(engine.setHostAddresses(this.configuredHostAddresses));
        if (!adopted.endpoints().isEmpty() || !adopted.entries().isEmpty()) {
            LOG.info("adopted {} endpoints, {} policy entries and {} ipcache prefixes from the pinned maps",
                    adopted.endpoints().size(), adopted.entries().size(), adopted.ipcache().size());
        }
    }

    /**
     * The agent's policy reconciler: opens the pinned policy maps of a started data path (under
     * {@code bpffsPinDir/maps}), the persisted identities, the event reader and the monitor socket, and registers
     * the policy metrics. Everything opened here is closed with the reconciler.
     */
    public static PolicyReconciler open(AgentConfig config, AgentMetrics metrics) {
        Path pins = config.bpffsPinDir().resolve("maps");
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            ChronicleIdentityStore identities = track(opened, ChronicleIdentityStore.open(config.stateDir().resolve(IDENTITY_FILE)));
            PolicyMaps maps = track(opened, PolicyMaps.openPinned(pins));
            BpfMap countersMap = track(opened, BpfMap.openPinned(pins.resolve(MapName.SLUICE_COUNTERS.cName())));
            DatapathCounters counters = track(opened, new DatapathCounters(countersMap));
            PolicyMetrics policyMetrics = new PolicyMetrics(metrics.registry(), counters);
            DropEventStream stream = track(opened, DropEventStream.open(config.stateDir().resolve(MONITOR_SOCKET)));
            BpfMap ring = BpfMap.openPinned(pins.resolve(MapName.SLUICE_EVENTS.cName()));
            DropEventReader reader = track(opened, DropEventReader.start(ring, e -> stream.publish(e.describe()), policyMetrics));
            PolicyReconciler reconciler = new PolicyReconciler(config.nodeName(), identities, maps,
                    new RouteTablePodInterfaces(config.podInterfacePrefix()), metrics, policyMetrics, config.nodeAddresses());
            // Closed in reverse: the reader and the socket before the maps and the identity file.
            opened.forEach(reconciler.owned::add);
            return reconciler;
        } catch (RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> opened, T resource) {
        opened.add(resource);
        return resource;
    }

    private static void closeAll(List<AutoCloseable> resources, Exception failure) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else {
                    LOG.warn("closing {} failed", resources.get(i), e);
                }
            }
        }
        resources.clear();
    }

    @Override
    public String name() {
        return "policy";
    }

    @Override
    public void onChange(ObjectKey key, Store store) {
        apply(key, store.get(key));
    }

    /**
     * Feeds the latest version of one object ({@code null}: deleted) to the engine; what {@link #onChange} does with
     * the store's object.
     */
    public void apply(ObjectKey key, HasMetadata object) {
        switch (key.kind()) {
            case POD -> {
                Pod pod = (Pod) object;
                PodRef ref = new PodRef(key.namespace(), key.name());
                Ipv4 address = pod == null ? null : ipv4Of(pod);
                if (!Objects.equals(address == null ? podAddresses.remove(ref) : podAddresses.put(ref, address), address)) {
                    dirtyPods.add(ref);
                }
                handle(pod == null ? engine.deletePod(ref) : engine.upsertPod(pod));
            }
            case NAMESPACE -> {
                Namespace namespace = (Namespace) object;
                handle(namespace == null ? engine.deleteNamespace(key.name()) : engine.upsertNamespace(namespace));
            }
            case NETWORK_POLICY -> {
                NetworkPolicy policy = (NetworkPolicy) object;
                handle(policy == null ? engine.deletePolicy(new PolicyRef(key.namespace(), key.name()))
                        : engine.upsertPolicy(policy));
            }
            case NODE -> {
                if (key.name().equals(nodeName)) {
                    handle(engine.setHostAddresses(hostAddresses((Node) object)));
                }
            }
            default -> {
                // services and slices are not the policy's business
            }
        }
    }

    @Override
    public void onStoreSynced(Store store) {
        storeComplete();
    }

    /**
     * Every object of the initial listing has been applied: from now on flushes write. The first call lets the
     * engine free restored identities and endpoint ids nobody claims.
     */
    public void storeComplete() {
        if (!synced) {
            int freed = engine.completeInitialSync();
            if (freed > 0) {
                LOG.info("freed {} restored identities and endpoint ids nobody claims", freed);
            }
            synced = true;
        }
        localPolicies.clear();
        localPolicies.putAll(engine.endpointPolicies());
        desiredIpcache.clear();
        engine.ipcache().entries().forEach((prefix, identity) -> {
            Ipcache4Key key = ipv4Key(prefix);
            if (key != null) {
                desiredIpcache.put(key, identity);
            }
        });
        fullPending = true;
    }

    /**
     * Writes what changed since the last successful flush: after the store became complete, everything (compared with
     * what the maps held); afterwards only the endpoints and prefixes the engine's change sets touched.
     */
    @Override
    public int flush() {
        if (!synced) {
            return 0;
        }
        Set<PodRef> pods;
        Set<Ipcache4Key> prefixes;
        if (fullPending) {
            pods = new HashSet<>(localPolicies.keySet());
            pods.addAll(programmedEndpoints.keySet());
            prefixes = new HashSet<>(desiredIpcache.keySet());
            prefixes.addAll(programmedIpcache.keySet());
        } else if (dirtyPods.isEmpty() && dirtyPrefixes.isEmpty()) {
            return 0;
        } else {
            pods = Set.copyOf(dirtyPods);
            prefixes = Set.copyOf(dirtyPrefixes);
        }
        int writes = write(pods, prefixes);
        fullPending = false;
        adopted = null;
        return writes;
    }

    /**
     * Plans and writes the given endpoints and prefixes, then records them as written. Policy entries go into the plan
     * only where they differ: the plan's order is about what changes, the entries both sides keep stay throughout.
     */
    private int write(Set<PodRef> pods, Set<Ipcache4Key> prefixes) {
        Map<Ipcache4Key, Integer> ipcacheBefore = new HashMap<>();
        Map<Ipcache4Key, Integer> ipcacheAfter = new HashMap<>();
        for (Ipcache4Key prefix : prefixes) {
            putIfPresent(ipcacheBefore, prefix, programmedIpcache.get(prefix));
            putIfPresent(ipcacheAfter, prefix, desiredIpcache.get(prefix));
        }
        ToIntFunction<Ipv4> ifindexOf = pods.isEmpty() ? address -> 0 : interfaces.snapshot();
        Map<PodRef, Slot> wanted = new TreeMap<>();
        Set<PodRef> blocked = new HashSet<>();
        Map<Ipv4, Ep4Info> endpointsBefore = new HashMap<>();
        Map<Ipv4, Ep4Info> endpointsAfter = new HashMap<>();
        Map<Integer, Ipv4> interfacesBefore = new HashMap<>();
        Map<Integer, Ipv4> interfacesAfter = new HashMap<>();
        Set<Policy4Key> entriesBefore = new HashSet<>();
        Set<Policy4Key> entriesAfter = new HashSet<>();
        for (PodRef pod : new TreeSet<>(pods)) {
            Slot old = programmedEndpoints.get(pod);
            Slot slot = wantedSlot(pod, ifindexOf, pods, endpointsAfter, interfacesAfter);
            if (old != null) {
                endpointsBefore.put(old.address(), old.info());
                if (old.ownsInterface()) {
                    interfacesBefore.put(old.info().ifindex(), old.address());
                }
            }
            if (slot == null) {
                if (localPolicies.containsKey(pod) && podAddresses.containsKey(pod)) {
                    blocked.add(pod);
                }
            } else {
                wanted.put(pod, slot);
                endpointsAfter.put(slot.address(), slot.info());
                if (slot.ownsInterface()) {
                    interfacesAfter.put(slot.info().ifindex(), slot.address());
                }
            }
            Set<PolicyEntry> had = old == null ? Set.of() : old.policy().entries();
            Set<PolicyEntry> has = slot == null ? Set.of() : slot.policy().entries();
            if (adopted != null) {
                has.forEach(e -> entriesAfter.add(keyOf(e)));
            } else {
                // The engine's entry sets share their bulk: the difference costs the change, not the endpoint.
                EntrySet.difference(had, has).forEach(e -> entriesBefore.add(keyOf(e)));
                EntrySet.difference(has, had).forEach(e -> entriesAfter.add(keyOf(e)));
            }
        }
        PolicyDatapathState before = adopted != null ? adopted
                : new PolicyDatapathState(ipcacheBefore, endpointsBefore, interfacesBefore, entriesBefore);
        PolicyDatapathState after = new PolicyDatapathState(ipcacheAfter, endpointsAfter, interfacesAfter, entriesAfter);
        PolicyWritePlan plan = PolicyWritePlan.between(before, after);
        int writes = 0;
        if (!plan.isEmpty()) {
            try {
                writes = maps.apply(plan);
            } catch (RuntimeException e) {
                metrics.mapErrors(MapName.POLICY4_ALLOW.cName()).inc();
                throw e;
            }
            countOperations(plan);
        }
        record(pods, prefixes, wanted);
        dirtyPods.removeAll(pods);
        dirtyPrefixes.removeAll(prefixes);
        dirtyPods.addAll(blocked); // tried again with every flush, until the pod holding their address goes
        return writes;
    }

    private static <K, V> void putIfPresent(Map<K, V> map, K key, V value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    /** The local endpoint {@code pod} should be, or null when it is none (or collides with one not being written). */
    private Slot wantedSlot(PodRef pod, ToIntFunction<Ipv4> ifindexOf, Set<PodRef> writing, Map<Ipv4, Ep4Info> endpoints,
                            Map<Integer, Ipv4> veths) {
        EndpointPolicy policy = localPolicies.get(pod);
        Ipv4 address = podAddresses.get(pod);
        if (policy == null || address == null) {
            return null; // not a local endpoint, or no IPv4 address (yet): nothing the IPv4 maps can enforce
        }
        PodRef owner = addressOwners.get(address);
        if (endpoints.containsKey(address) || (owner != null && !owner.equals(pod) && !writing.contains(owner))) {
            if (warnedCollisions.add(pod)) {
                LOG.warn("pod {} has address {} of another local pod: not programmed until one of them goes", pod, address);
            }
            return null;
        }
        warnedCollisions.remove(pod);
        int identity = desiredIpcache.getOrDefault(Ipcache4Key.host(address), PolicyConstants.IDENTITY_WORLD);
        int ifindex = ifindexOf.applyAsInt(address);
        PodRef vethOwner = ifindex == 0 ? null : interfaceOwners.get(ifindex);
        boolean ownsInterface = ifindex != 0 && !veths.containsKey(ifindex)
                && (vethOwner == null || vethOwner.equals(pod) || writing.contains(vethOwner));
        if (ifindex != 0 && !ownsInterface) {
            LOG.warn("pod {} resolves to interface {} of another pod: its veth is not checked", pod, ifindex);
        }
        int flags = (policy.ingressEnforced() ? PolicyConstants.EP_F_INGRESS_ENFORCED : 0)
                | (policy.egressEnforced() ? PolicyConstants.EP_F_EGRESS_ENFORCED : 0);
        return new Slot(address, new Ep4Info(identity, ifindex, policy.endpointId(), flags), ownsInterface, policy);
    }

    private void record(Set<PodRef> pods, Set<Ipcache4Key> prefixes, Map<PodRef, Slot> wanted) {
        for (Ipcache4Key prefix : prefixes) {
            Integer identity = desiredIpcache.get(prefix);
            Integer had = identity == null ? programmedIpcache.remove(prefix) : programmedIpcache.put(prefix, identity);
            if (prefix.prefixLength() == 32) {
                programmedHosts += (identity == null ? 0 : 1) - (had == null ? 0 : 1);
            }
        }
        for (PodRef pod : pods) {
            Slot old = programmedEndpoints.remove(pod);
            if (old != null) {
                addressOwners.remove(old.address(), pod);
                if (old.ownsInterface()) {
                    interfaceOwners.remove(old.info().ifindex(), pod);
                }
                programmedEntries -= old.policy().entries().size();
            }
        }
        for (Map.Entry<PodRef, Slot> e : wanted.entrySet()) {
            Slot slot = e.getValue();
            programmedEndpoints.put(e.getKey(), slot);
            addressOwners.put(slot.address(), e.getKey());
            if (slot.ownsInterface()) {
                interfaceOwners.put(slot.info().ifindex(), e.getKey());
            }
            programmedEntries += slot.policy().entries().size();
        }
        metrics.mapEntries(MapName.ENDPOINTS4.cName()).set(programmedEndpoints.size());
        metrics.mapEntries(MapName.POLICY4_ALLOW.cName()).set(programmedEntries);
        metrics.mapEntries(MapName.IPCACHE4_HOSTS.cName()).set(programmedHosts);
        metrics.mapEntries(MapName.IPCACHE4.cName()).set(programmedIpcache.size() - programmedHosts);
        policyMetrics.programmed(maps.revision().revision(), programmedEndpoints.size(), programmedEntries,
                programmedIpcache.size());
    }

    private void handle(PolicyChangeSet changes) {
        for (Refusal refusal : changes.refusals()) {
            LOG.warn("refused {}", refusal.message());
            metrics.objectRefused(refusal.kind(), refusal.reason().metricLabel());
        }
        if (!synced || changes.isEmpty()) {
            return; // before the store is complete the engine's full state is read at once (storeComplete)
        }
        changes.endpoints().forEach((pod, policy) -> {
            localPolicies.put(pod, policy);
            dirtyPods.add(pod);
        });
        for (PodRef pod : changes.removedEndpoints().keySet()) {
            localPolicies.remove(pod);
            dirtyPods.add(pod);
        }
        changes.ipcache().upserts().forEach((prefix, identity) -> {
            Ipcache4Key key = ipv4Key(prefix);
            if (key != null) {
                desiredIpcache.put(key, identity);
                prefixChanged(key);
            }
        });
        for (IpPrefix prefix : changes.ipcache().deletions()) {
            Ipcache4Key key = ipv4Key(prefix);
            if (key != null) {
                desiredIpcache.remove(key);
                prefixChanged(key);
            }
        }
    }

    /** A prefix to write; a /32 of a local pod also changes that endpoint's identity. */
    private void prefixChanged(Ipcache4Key key) {
        dirtyPrefixes.add(key);
        if (key.prefixLength() == 32) {
            for (PodRef pod : localPolicies.keySet()) {
                if (key.address().equals(podAddresses.get(pod))) {
                    dirtyPods.add(pod);
                }
            }
        }
    }

    private static Ipcache4Key ipv4Key(IpPrefix prefix) {
        return prefix.ipv6() ? null : new Ipcache4Key(new Ipv4((int) prefix.low()), prefix.length());
    }

    /** The kernel key of a compiled entry: see policy4_key and PolicyEntry (same fields, same prefix rules). */
    static Policy4Key keyOf(PolicyEntry entry) {
        PolicyDirection direction = entry.direction() == Direction.INGRESS ? PolicyDirection.INGRESS : PolicyDirection.EGRESS;
        if (entry.protocol() == Protocol.ANY) {
            return Policy4Key.anyProtocol(entry.endpointId(), direction, entry.peerIdentity());
        }
        return Policy4Key.portBlock(entry.endpointId(), direction, entry.peerIdentity(), entry.protocol(), entry.port(),
                entry.portPrefixLength());
    }

    /** Counts the plan's writes per map and operation: one metrics update per kind, not per write. */
    private void countOperations(PolicyWritePlan plan) {
        int[] counts = new int[OPERATIONS.size()];
        for (PolicyWritePlan.Step step : plan.steps()) {
            counts[operationOf(step)]++;
        }
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                metrics.mapOperations(OPERATIONS.get(i).get(0), OPERATIONS.get(i).get(1)).inc(counts[i]);
            }
        }
    }

    /** The index in {@link #OPERATIONS} of a step's map and operation (an if chain: this runs once per write). */
    private static int operationOf(PolicyWritePlan.Step step) {
        if (step instanceof PolicyWritePlan.PutEntry) {
            return 4;
        }
        if (step instanceof PolicyWritePlan.RemoveEntry) {
            return 5;
        }
        if (step instanceof PolicyWritePlan.PutIpcache s) {
            return s.prefix().prefixLength() == 32 ? 6 : 8;
        }
        if (step instanceof PolicyWritePlan.RemoveIpcache s) {
            return s.prefix().prefixLength() == 32 ? 7 : 9;
        }
        if (step instanceof PolicyWritePlan.PutEndpoint) {
            return 0;
        }
        if (step instanceof PolicyWritePlan.RemoveEndpoint) {
            return 1;
        }
        if (step instanceof PolicyWritePlan.PutInterface) {
            return 2;
        }
        if (step instanceof PolicyWritePlan.RemoveInterface) {
            return 3;
        }
        return 10; // BumpRevision
    }

    private static final List<String> ENDPOINT_UPDATE = List.of(MapName.ENDPOINTS4.cName(), "update");
    private static final List<String> ENDPOINT_DELETE = List.of(MapName.ENDPOINTS4.cName(), "delete");
    private static final List<String> INTERFACE_UPDATE = List.of(MapName.EP4_BY_IFINDEX.cName(), "update");
    private static final List<String> INTERFACE_DELETE = List.of(MapName.EP4_BY_IFINDEX.cName(), "delete");
    private static final List<String> ENTRY_UPDATE = List.of(MapName.POLICY4_ALLOW.cName(), "update");
    private static final List<String> ENTRY_DELETE = List.of(MapName.POLICY4_ALLOW.cName(), "delete");
    private static final List<String> HOST_UPDATE = List.of(MapName.IPCACHE4_HOSTS.cName(), "update");
    private static final List<String> HOST_DELETE = List.of(MapName.IPCACHE4_HOSTS.cName(), "delete");
    private static final List<String> PREFIX_UPDATE = List.of(MapName.IPCACHE4.cName(), "update");
    private static final List<String> PREFIX_DELETE = List.of(MapName.IPCACHE4.cName(), "delete");
    private static final List<String> REVISION_UPDATE = List.of(MapName.POLICY4_STATE.cName(), "update");
    private static final List<List<String>> OPERATIONS = List.of(ENDPOINT_UPDATE, ENDPOINT_DELETE, INTERFACE_UPDATE,
            INTERFACE_DELETE, ENTRY_UPDATE, ENTRY_DELETE, HOST_UPDATE, HOST_DELETE, PREFIX_UPDATE, PREFIX_DELETE,
            REVISION_UPDATE);

    /** The configured node addresses plus the Node's InternalIP and ExternalIP addresses. */
    private List<String> hostAddresses(Node node) {
        Set<String> all = new LinkedHashSet<>(configuredHostAddresses);
        if (node != null && node.getStatus() != null && node.getStatus().getAddresses() != null) {
            for (NodeAddress a : node.getStatus().getAddresses()) {
                if (("InternalIP".equals(a.getType()) || "ExternalIP".equals(a.getType())) && a.getAddress() != null) {
                    try {
                        IpPrefix.parseAddress(a.getAddress());
                        all.add(a.getAddress());
                    } catch (IllegalArgumentException e) {
                        LOG.warn("Node {}: ignoring status.addresses entry {}: {}", nodeName, a.getAddress(), e.getMessage());
                    }
                }
            }
        }
        return List.copyOf(all);
    }

    /** The pod's first IPv4 address (status.podIPs, else status.podIP), or null. */
    static Ipv4 ipv4Of(Pod pod) {
        if (pod.getStatus() == null) {
            return null;
        }
        List<String> candidates = new ArrayList<>();
        if (pod.getStatus().getPodIPs() != null) {
            for (PodIP ip : pod.getStatus().getPodIPs()) {
                if (ip != null && ip.getIp() != null) {
                    candidates.add(ip.getIp());
                }
            }
        }
        if (pod.getStatus().getPodIP() != null) {
            candidates.add(pod.getStatus().getPodIP());
        }
        for (String text : candidates) {
            if (text.indexOf(':') < 0) {
                try {
                    return Ipv4.parse(text);
                } catch (IllegalArgumentException invalid) {
                    // the engine refuses the pod with the field named; nothing to program
                }
            }
        }
        return null;
    }

    /** The policy engine (read-only use: tests and the status page). */
    public PolicyEngine engine() {
        return engine;
    }

    @Override
    public void close() {
        closeAll(owned, null);
    }
}
