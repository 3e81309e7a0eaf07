package io.sluice.agent.policy;

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
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the policy maps equal to what the Pods, Namespaces, NetworkPolicies and this Node in the store ask for.
 *
 * <p>Every change goes into the {@link PolicyEngine} at once (it compiles incrementally), also while the store is
 * still being filled; nothing is written before the store is complete for the first time
 * ({@link #onStoreSynced}), when the engine frees identities nobody claims. A flush turns the engine's state into a
 * {@link PolicyDatapathState}, plans the writes from what the maps hold ({@link PolicyWritePlan}: no window in which
 * traffic both the old and the new policy allow is dropped; the revision bumped last) and records the new state
 * only once every write succeeded, so a failed flush is planned and replayed again. At start it adopts what the
 * pinned maps hold, and identities and endpoint ids come from a persisted store, so a restarted agent writes only
 * what changed and prunes what nobody claims.
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
    private final Map<PodRef, Converted> converted = new HashMap<>();
    private final Set<PodRef> warnedCollisions = new HashSet<>();
    private PolicyDatapathState programmed;
    private boolean synced;
    private boolean dirty;

    /** An endpoint policy and its map keys, kept while the engine publishes the same policy. */
    private record Converted(EndpointPolicy policy, Set<Policy4Key> keys) {
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
        this.programmed = maps.read();
        handle(engine.setHostAddresses(this.configuredHostAddresses));
        if (!programmed.endpoints().isEmpty() || !programmed.entries().isEmpty()) {
            LOG.info("adopted {} endpoints, {} policy entries and {} ipcache prefixes from the pinned maps",
                    programmed.endpoints().size(), programmed.entries().size(), programmed.ipcache().size());
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
        switch (key.kind()) {
            case POD -> {
                Pod pod = store.get(key, Pod.class);
                PodRef ref = new PodRef(key.namespace(), key.name());
                if (pod == null) {
                    podAddresses.remove(ref);
                    handle(engine.deletePod(ref));
                } else {
                    Ipv4 address = ipv4Of(pod);
                    if (address == null) {
                        podAddresses.remove(ref);
                    } else {
                        podAddresses.put(ref, address);
                    }
                    handle(engine.upsertPod(pod));
                }
            }
            case NAMESPACE -> {
                Namespace namespace = store.get(key, Namespace.class);
                handle(namespace == null ? engine.deleteNamespace(key.name()) : engine.upsertNamespace(namespace));
            }
            case NETWORK_POLICY -> {
                NetworkPolicy policy = store.get(key, NetworkPolicy.class);
                handle(policy == null ? engine.deletePolicy(new PolicyRef(key.namespace(), key.name()))
                        : engine.upsertPolicy(policy));
            }
            case NODE -> {
                if (key.name().equals(nodeName)) {
                    handle(engine.setHostAddresses(hostAddresses(store.get(key, Node.class))));
                }
            }
            default -> {
                // services and slices are not the policy's business
            }
        }
    }

    @Override
    public void onStoreSynced(Store store) {
        if (!synced) {
            int freed = engine.completeInitialSync();
            if (freed > 0) {
                LOG.info("freed {} restored identities and endpoint ids nobody claims", freed);
            }
            synced = true;
        }
        dirty = true;
    }

    @Override
    public int flush() {
        if (!synced || !dirty) {
            return 0;
        }
        PolicyDatapathState desired = desiredState();
        PolicyWritePlan plan = PolicyWritePlan.between(programmed, desired);
        int writes = 0;
        if (!plan.isEmpty()) {
            try {
                writes = maps.apply(plan);
            } catch (RuntimeException e) {
                metrics.mapErrors(MapName.POLICY4.cName()).inc();
                throw e;
            }
            countOperations(plan);
            programmed = desired;
            metrics.mapEntries(MapName.ENDPOINTS4.cName()).set(programmed.endpoints().size());
            metrics.mapEntries(MapName.POLICY4.cName()).set(programmed.entries().size());
            metrics.mapEntries(MapName.IPCACHE4.cName()).set(programmed.ipcache().size());
        }
        dirty = false;
        policyMetrics.programmed(maps.revision().revision(), programmed.endpoints().size(), programmed.entries().size(),
                programmed.ipcache().size());
        return writes;
    }

    private void handle(PolicyChangeSet changes) {
        for (Refusal refusal : changes.refusals()) {
            LOG.warn("refused {}", refusal.message());
            metrics.objectRefused(refusal.kind(), refusal.reason().metricLabel());
        }
        if (!changes.isEmpty()) {
            dirty = true;
        }
    }

    /** What the maps should hold now, from the engine's full state (its unchanged parts are reused). */
    private PolicyDatapathState desiredState() {
        Map<Ipcache4Key, Integer> ipcache = new HashMap<>();
        engine.ipcache().entries().forEach((prefix, identity) -> {
            if (!prefix.ipv6()) {
                ipcache.put(new Ipcache4Key(new Ipv4((int) prefix.low()), prefix.length()), identity);
            }
        });
        ToIntFunction<Ipv4> ifindexOf = interfaces.snapshot();
        Map<Ipv4, Ep4Info> endpoints = new HashMap<>();
        Map<Integer, Ipv4> veths = new HashMap<>();
        Set<Policy4Key> entries = new HashSet<>();
        Map<PodRef, EndpointPolicy> policies = new TreeMap<>(engine.endpointPolicies());
        Set<Ipv4> claimed = new HashSet<>();
        converted.keySet().retainAll(policies.keySet());
        for (Map.Entry<PodRef, EndpointPolicy> e : policies.entrySet()) {
            Ipv4 address = podAddresses.get(e.getKey());
            if (address == null) {
                continue; // no IPv4 address (yet): nothing the IPv4 maps can enforce
            }
            if (!claimed.add(address)) {
                if (warnedCollisions.add(e.getKey())) {
                    LOG.warn("pod {} has address {} of another local pod: not programmed until one of them goes",
                            e.getKey(), address);
                }
                continue;
            }
            EndpointPolicy policy = e.getValue();
            int identity = ipcache.getOrDefault(Ipcache4Key.host(address), PolicyConstants.IDENTITY_WORLD);
            int ifindex = ifindexOf.applyAsInt(address);
            int flags = (policy.ingressEnforced() ? PolicyConstants.EP_F_INGRESS_ENFORCED : 0)
                    | (policy.egressEnforced() ? PolicyConstants.EP_F_EGRESS_ENFORCED : 0);
            endpoints.put(address, new Ep4Info(identity, ifindex, policy.endpointId(), flags));
            if (ifindex != 0 && veths.putIfAbsent(ifindex, address) != null) {
                LOG.warn("pod {} resolves to interface {} of another pod: its veth is not checked", e.getKey(), ifindex);
            }
            entries.addAll(keysOf(e.getKey(), policy));
        }
        warnedCollisions.retainAll(policies.keySet());
        return new PolicyDatapathState(ipcache, endpoints, veths, entries);
    }

    private Set<Policy4Key> keysOf(PodRef pod, EndpointPolicy policy) {
        Converted known = converted.get(pod);
        if (known != null && known.policy().equals(policy)) {
            return known.keys();
        }
        Set<Policy4Key> keys = new LinkedHashSet<>();
        for (PolicyEntry entry : policy.entries()) {
            keys.add(keyOf(entry));
        }
        converted.put(pod, new Converted(policy, keys));
        return keys;
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

    private void countOperations(PolicyWritePlan plan) {
        for (PolicyWritePlan.Step step : plan.steps()) {
            String[] op = switch (step) {
                case PolicyWritePlan.PutEndpoint s -> new String[] {MapName.ENDPOINTS4.cName(), "update"};
                case PolicyWritePlan.RemoveEndpoint s -> new String[] {MapName.ENDPOINTS4.cName(), "delete"};
                case PolicyWritePlan.PutInterface s -> new String[] {MapName.EP4_BY_IFINDEX.cName(), "update"};
                case PolicyWritePlan.RemoveInterface s -> new String[] {MapName.EP4_BY_IFINDEX.cName(), "delete"};
                case PolicyWritePlan.PutEntry s -> new String[] {MapName.POLICY4.cName(), "update"};
                case PolicyWritePlan.RemoveEntry s -> new String[] {MapName.POLICY4.cName(), "delete"};
                case PolicyWritePlan.PutIpcache s -> new String[] {MapName.IPCACHE4.cName(), "update"};
                case PolicyWritePlan.RemoveIpcache s -> new String[] {MapName.IPCACHE4.cName(), "delete"};
                case PolicyWritePlan.BumpRevision s -> new String[] {MapName.POLICY4_STATE.cName(), "update"};
            };
            metrics.mapOperations(op[0], op[1]).inc();
        }
    }

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
