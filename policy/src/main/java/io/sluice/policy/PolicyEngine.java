package io.sluice.policy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Compiles the cluster's pods, namespaces and NetworkPolicies into what this node's data path needs:
 * the ipcache (address → identity) and, for every pod on this node, its {@link EndpointPolicy}. Each
 * update method returns a {@link PolicyChangeSet} with only what changed.
 *
 * <h2>Enforcement rules</h2>
 * <ul>
 *   <li>A pod is isolated for ingress (egress) as soon as one accepted policy in force for that direction
 *       selects it; then only traffic matching some rule of some such policy is allowed (union).</li>
 *   <li>Traffic from this node's own addresses ({@link Identities#HOST}) to a local pod is always allowed
 *       for ingress, so kubelet probes keep working, as the NetworkPolicy API specifies.</li>
 *   <li>ipBlocks select addresses outside the cluster's pods and this node: a pod address is known by the
 *       pod's identity, which no ipBlock selects (the Cilium behaviour).</li>
 *   <li>Named ports: for ingress, resolved on the selected pod itself; for egress, on the destination
 *       pod's identity (the numbers its pods give the name).</li>
 *   <li>Host-network pods and pods that have finished (Succeeded, Failed) are not endpoints and have no
 *       identity: their traffic is the node's.</li>
 * </ul>
 *
 * <h2>Refusals</h2>
 * A policy with any invalid field is refused as a whole: it is never partially enforced. Like an invalid
 * write to the API server, a refused update leaves the last accepted version of that policy in force (or
 * none, for a new policy); all other policies are unaffected. Refusals are returned in the change set and
 * kept in {@link #refusals()} until the object is fixed or deleted.
 *
 * <h2>Incremental work</h2>
 * Identities are reference-counted per label set; a pod whose labels change moves to another identity,
 * and only when an identity appears or disappears are the {@link SelectorCache}'s selections updated.
 * The endpoints recompiled are those selected by a policy whose rules use a selector whose selection
 * changed, plus endpoints whose own identity or selecting policies changed. Nothing else is touched.
 *
 * <h2>Threading</h2>
 * Not thread-safe. One thread owns the engine (the agent's single writer) and calls every method;
 * sources hand it events through a queue.
 */
public final class PolicyEngine {

    private static final class PodState {
        final PodRef ref;
        final String node;
        final SortedMap<String, String> labels;
        final List<IpPrefix> addresses;
        final Map<NamedPortKey, Set<Integer>> namedPorts;
        SecurityLabels security;
        int identity;

        PodState(PodRef ref, String node, SortedMap<String, String> labels, List<IpPrefix> addresses,
                 Map<NamedPortKey, Set<Integer>> namedPorts) {
            this.ref = ref;
            this.node = node;
            this.labels = labels;
            this.addresses = addresses;
            this.namedPorts = namedPorts;
        }
    }

    private static final class Endpoint {
        final PodRef ref;
        final int id;
        int identity;
        Map<NamedPortKey, Set<Integer>> namedPorts;
        Set<PolicyRef> selecting = new HashSet<>();
        /** Each entry with the number of (rule, peer, identity) contributions producing it. */
        final Map<PolicyEntry, Integer> counts = new HashMap<>();
        boolean ingress;
        boolean egress;
        /** Entries that appeared in, or vanished from, {@link #counts} since the last publication. */
        final Set<PolicyEntry> appeared = new HashSet<>();
        final Set<PolicyEntry> vanished = new HashSet<>();
        /** The counts were rebuilt since the last publication (or never published): no delta is known. */
        boolean rebuilt = true;
        EndpointPolicy published;

        Endpoint(PodRef ref, int id) {
            this.ref = ref;
            this.id = id;
        }
    }

    private final String nodeName;
    private final IdentityAllocator identities;
    private final EndpointIdAllocator endpointIds;
    private final SelectorCache selectors = new SelectorCache();
    private final IpCache ipcache = new IpCache();
    private final NamedPortIndex namedPorts = new NamedPortIndex();

    private final Map<String, Map<String, String>> namespaceLabels = new HashMap<>();
    private final Map<PodRef, PodState> pods = new HashMap<>();
    private final Map<String, Set<PodRef>> podsByNamespace = new HashMap<>();
    private final Map<PolicyRef, ValidatedPolicy> policies = new HashMap<>();
    private final Map<String, Set<PolicyRef>> policiesByNamespace = new HashMap<>();
    /**
     * Per peer selector, the accepted policies that use it and select at least one local endpoint: the only ones a
     * change to its selection can affect. Most policies of a cluster select no pod of this node; a new identity that a
     * widely used selector selects would otherwise visit all of them.
     */
    private final Map<PeerSelector, Set<PolicyRef>> localPeerUsers = new HashMap<>();
    /** The policies indexed in {@link #localPeerUsers}. */
    private final Set<PolicyRef> localPolicies = new HashSet<>();
    private final Map<NamedPortKey, Set<PolicyRef>> egressNamedPortUsers = new HashMap<>();
    private final Map<PolicyRef, Set<PodRef>> selectedEndpoints = new HashMap<>();
    private final Map<PodRef, Endpoint> endpoints = new HashMap<>();
    private final Map<String, Refusal> refusals = new TreeMap<>();
    /** Port blocks of a range, by {@code first << 16 | last}. */
    private final Map<Integer, List<PortBlock>> blockCache = new HashMap<>();
    private Set<IpPrefix> hostAddresses = Set.of();

    // Scratch state of the update in progress.
    private final List<SelectorCache.Delta> selectionDeltas = new ArrayList<>();
    private final List<NamedPortIndex.Change> namedPortChanges = new ArrayList<>();
    private final Set<PodRef> dirty = new HashSet<>();
    /** Policies whose selected endpoints changed (or that changed): their place in {@link #localPeerUsers} is checked. */
    private final Set<PolicyRef> selectionChanged = new HashSet<>();
    private final Map<PodRef, Integer> removed = new HashMap<>();
    private final List<Refusal> newRefusals = new ArrayList<>();

    /**
     * @param nodeName this node's name: pods with this {@code spec.nodeName} are the local endpoints
     * @param store where identity and endpoint id allocations are recorded and restored from
     */
    public PolicyEngine(String nodeName, IdentityStore store) {
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.identities = new IdentityAllocator(store);
        this.endpointIds = new EndpointIdAllocator(store);
    }

    // ------------------------------------------------------------------ node

    /**
     * Sets this node's own addresses (from the Node object's status), which the ipcache maps to
     * {@link Identities#HOST}.
     *
     * @throws IllegalArgumentException if an address is not an IP address
     */
    public PolicyChangeSet setHostAddresses(Collection<String> addresses) {
        Set<IpPrefix> next = new HashSet<>();
        for (String a : addresses) {
            next.add(IpPrefix.parseAddress(a));
        }
        for (IpPrefix p : hostAddresses) {
            if (!next.contains(p)) ipcache.setHost(p, false);
        }
        for (IpPrefix p : next) {
            if (!hostAddresses.contains(p)) ipcache.setHost(p, true);
        }
        hostAddresses = Set.copyOf(next);
        return finish();
    }

    // ------------------------------------------------------------ namespaces

    /** Adds or updates a namespace; a label change moves the identities of all its pods. */
    public PolicyChangeSet upsertNamespace(Namespace namespace) {
        if (namespace.getMetadata() == null || namespace.getMetadata().getName() == null
                || namespace.getMetadata().getName().isEmpty()) {
            refuse(new Refusal("Namespace", "", "", "metadata.name", RefusalReason.MISSING_METADATA, "name is missing"));
            return finish();
        }
        String name = namespace.getMetadata().getName();
        Map<String, String> labels = namespace.getMetadata().getLabels() == null ? Map.of()
                : Map.copyOf(namespace.getMetadata().getLabels());
        if (!labels.equals(namespaceLabels.put(name, labels))) {
            relabelNamespace(name);
        }
        return finish();
    }

    /** Forgets a namespace: its remaining pods keep only the namespace name label. */
    public PolicyChangeSet deleteNamespace(String name) {
        if (namespaceLabels.remove(name) != null) {
            relabelNamespace(name);
        }
        return finish();
    }

    private void relabelNamespace(String namespace) {
        for (PodRef ref : List.copyOf(podsByNamespace.getOrDefault(namespace, Set.of()))) {
            PodState old = pods.get(ref);
            PodState next = new PodState(ref, old.node, old.labels, old.addresses, old.namedPorts);
            applyPod(old, next);
        }
    }

    // ------------------------------------------------------------------ pods

    /** Adds or updates a pod (anywhere in the cluster; those on this node become endpoints). */
    public PolicyChangeSet upsertPod(Pod pod) {
        if (pod.getMetadata() == null || isEmpty(pod.getMetadata().getName()) || isEmpty(pod.getMetadata().getNamespace())) {
            refuse(new Refusal("Pod", "", "", "metadata", RefusalReason.MISSING_METADATA, "name or namespace is missing"));
            return finish();
        }
        PodRef ref = new PodRef(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        PodState old = pods.get(ref);
        if (!takesPart(pod)) {
            if (old != null) removePod(old);
            refusals.remove(key("Pod", ref.namespace(), ref.name()));
            return finish();
        }
        PodState next = new PodState(ref, pod.getSpec() == null ? null : pod.getSpec().getNodeName(),
                new TreeMap<>(pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels()),
                podAddresses(pod, ref), podNamedPorts(pod));
        applyPod(old, next);
        return finish();
    }

    /** Removes a pod. */
    public PolicyChangeSet deletePod(PodRef ref) {
        PodState old = pods.get(ref);
        if (old != null) removePod(old);
        refusals.remove(key("Pod", ref.namespace(), ref.name()));
        return finish();
    }

    private static boolean takesPart(Pod pod) {
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return false;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return !"Succeeded".equals(phase) && !"Failed".equals(phase);
    }

    private List<IpPrefix> podAddresses(Pod pod, PodRef ref) {
        List<String> texts = new ArrayList<>();
        String fieldBase;
        if (pod.getStatus() == null) {
            return List.of();
        }
        if (pod.getStatus().getPodIPs() != null && !pod.getStatus().getPodIPs().isEmpty()) {
            for (PodIP ip : pod.getStatus().getPodIPs()) texts.add(ip == null ? null : ip.getIp());
            fieldBase = "status.podIPs";
        } else if (pod.getStatus().getPodIP() != null && !pod.getStatus().getPodIP().isEmpty()) {
            texts.add(pod.getStatus().getPodIP());
            fieldBase = null;
        } else {
            return List.of();
        }
        Set<IpPrefix> out = new LinkedHashSet<>();
        String refusalKey = key("Pod", ref.namespace(), ref.name());
        boolean refused = false;
        for (int i = 0; i < texts.size(); i++) {
            try {
                out.add(IpPrefix.parseAddress(texts.get(i)));
            } catch (IllegalArgumentException e) {
                String field = fieldBase == null ? "status.podIP" : fieldBase + "[" + i + "].ip";
                refuse(new Refusal("Pod", ref.namespace(), ref.name(), field, RefusalReason.INVALID_POD_IP, e.getMessage()));
                refused = true;
            }
        }
        if (!refused) refusals.remove(refusalKey);
        return List.copyOf(out);
    }

    private static Map<NamedPortKey, Set<Integer>> podNamedPorts(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return Map.of();
        }
        Map<NamedPortKey, Set<Integer>> out = new HashMap<>();
        for (Container c : pod.getSpec().getContainers()) {
            if (c == null || c.getPorts() == null) continue;
            for (ContainerPort p : c.getPorts()) {
                if (p == null || isEmpty(p.getName()) || p.getContainerPort() == null) continue;
                int number = p.getContainerPort();
                if (number < 1 || number > 0xFFFF) continue;
                Protocol protocol = p.getProtocol() == null ? Protocol.TCP
                        : Protocol.fromKubernetesName(p.getProtocol()).orElse(null);
                if (protocol == null) continue;
                out.computeIfAbsent(new NamedPortKey(protocol, p.getName()), k -> new HashSet<>()).add(number);
            }
        }
        Map<NamedPortKey, Set<Integer>> frozen = new HashMap<>();
        out.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
        return Map.copyOf(frozen);
    }

    /** Moves a pod from {@code old} (may be null) to {@code next}: identity, ipcache, named ports, endpoint. */
    private void applyPod(PodState old, PodState next) {
        PodRef ref = next.ref;
        next.security = SecurityLabels.of(ref.namespace(), namespaceLabels.get(ref.namespace()), next.labels);
        // Take the new identity before releasing the old one so an unchanged label set keeps its number.
        IdentityAllocator.Allocation a = identities.acquire(next.security);
        if (a.created()) {
            selectors.addPodIdentity(a.id(), next.security, selectionDeltas);
        }
        next.identity = a.id();
        namedPorts.add(next.identity, next.namedPorts, namedPortChanges);
        for (IpPrefix address : next.addresses) {
            ipcache.setPod(address, ref, next.identity);
        }
        pods.put(ref, next);
        podsByNamespace.computeIfAbsent(ref.namespace(), k -> new HashSet<>()).add(ref);
        if (old != null) {
            for (IpPrefix address : old.addresses) {
                if (!next.addresses.contains(address)) ipcache.removePod(address, ref);
            }
            namedPorts.remove(old.identity, old.namedPorts, namedPortChanges);
            releasePodIdentity(old);
        }

        if (nodeName.equals(next.node)) {
            Endpoint e = endpoints.get(ref);
            if (e == null) {
                e = new Endpoint(ref, endpointIds.acquire(ref));
                endpoints.put(ref, e);
                e.identity = -1;
            }
            if (e.identity != next.identity || !next.namedPorts.equals(e.namedPorts)) {
                e.identity = next.identity;
                e.namedPorts = next.namedPorts;
                reselect(e);
                dirty.add(ref);
            }
        } else if (endpoints.containsKey(ref)) {
            removeEndpoint(ref);
        }
    }

    private void removePod(PodState old) {
        PodRef ref = old.ref;
        for (IpPrefix address : old.addresses) {
            ipcache.removePod(address, ref);
        }
        namedPorts.remove(old.identity, old.namedPorts, namedPortChanges);
        releasePodIdentity(old);
        pods.remove(ref);
        Set<PodRef> inNamespace = podsByNamespace.get(ref.namespace());
        inNamespace.remove(ref);
        if (inNamespace.isEmpty()) podsByNamespace.remove(ref.namespace());
        if (endpoints.containsKey(ref)) removeEndpoint(ref);
    }

    private void releasePodIdentity(PodState state) {
        if (identities.release(state.security)) {
            selectors.removeIdentity(state.identity, selectionDeltas);
        }
    }

    private void removeEndpoint(PodRef ref) {
        Endpoint e = endpoints.remove(ref);
        for (PolicyRef p : e.selecting) {
            selectedEndpoints.get(p).remove(ref);
            selectionChanged.add(p);
        }
        endpointIds.release(ref);
        removed.put(ref, e.id);
        dirty.remove(ref);
    }

    /** Recomputes which policies select an endpoint after its identity changed. */
    private void reselect(Endpoint e) {
        Set<PolicyRef> now = new HashSet<>();
        for (PolicyRef p : policiesByNamespace.getOrDefault(e.ref.namespace(), Set.of())) {
            if (selectors.selections(policies.get(p).subjects()).contains(e.identity)) {
                now.add(p);
            }
        }
        for (PolicyRef p : e.selecting) {
            if (!now.contains(p)) {
                selectedEndpoints.get(p).remove(e.ref);
                selectionChanged.add(p);
            }
        }
        for (PolicyRef p : now) {
            if (!e.selecting.contains(p)) {
                selectedEndpoints.computeIfAbsent(p, k -> new HashSet<>()).add(e.ref);
                selectionChanged.add(p);
            }
        }
        e.selecting = now;
    }

    // -------------------------------------------------------------- policies

    /**
     * Adds or updates a NetworkPolicy. An invalid policy is refused as a whole (see the class comment);
     * the refusal names the policy and the field.
     */
    public PolicyChangeSet upsertPolicy(NetworkPolicy policy) {
        ValidatedPolicy next;
        try {
            next = ValidatedPolicy.from(policy);
        } catch (InvalidFieldException e) {
            String ns = policy.getMetadata() == null || policy.getMetadata().getNamespace() == null ? "" : policy.getMetadata().getNamespace();
            String name = policy.getMetadata() == null || policy.getMetadata().getName() == null ? "" : policy.getMetadata().getName();
            refuse(Refusal.of("NetworkPolicy", ns, name, e));
            return finish();
        }
        PolicyRef ref = next.ref();
        refusals.remove(key("NetworkPolicy", ref.namespace(), ref.name()));
        ValidatedPolicy old = policies.get(ref);
        if (next.equals(old)) {
            return finish();
        }
        if (old != null) {
            removeUsers(old);
        }
        acquireReferences(next);
        addUsers(next);
        if (old != null) {
            releaseReferences(old);
        }
        policies.put(ref, next);
        policiesByNamespace.computeIfAbsent(ref.namespace(), k -> new HashSet<>()).add(ref);

        unselectAll(ref);
        Set<Integer> subjects = selectors.selections(next.subjects());
        Set<PodRef> selected = new HashSet<>();
        for (PodRef podRef : podsByNamespace.getOrDefault(ref.namespace(), Set.of())) {
            Endpoint e = endpoints.get(podRef);
            if (e != null && subjects.contains(e.identity)) {
                selected.add(podRef);
                e.selecting.add(ref);
            }
        }
        selectedEndpoints.put(ref, selected);
        selectionChanged.add(ref);
        dirty.addAll(selected);
        return finish();
    }

    /** Removes a NetworkPolicy (and any refusal recorded for it). */
    public PolicyChangeSet deletePolicy(PolicyRef ref) {
        refusals.remove(key("NetworkPolicy", ref.namespace(), ref.name()));
        ValidatedPolicy old = policies.remove(ref);
        if (old != null) {
            Set<PolicyRef> inNamespace = policiesByNamespace.get(ref.namespace());
            inNamespace.remove(ref);
            if (inNamespace.isEmpty()) policiesByNamespace.remove(ref.namespace());
            removeUsers(old);
            releaseReferences(old);
            unselectAll(ref);
        }
        return finish();
    }

    private void unselectAll(PolicyRef ref) {
        Set<PodRef> before = selectedEndpoints.remove(ref);
        selectionChanged.add(ref);
        if (before != null) {
            for (PodRef podRef : before) {
                endpoints.get(podRef).selecting.remove(ref);
            }
            dirty.addAll(before);
        }
    }

    private void acquireReferences(ValidatedPolicy p) {
        selectors.acquire(p.subjects());
        for (Direction d : Direction.values()) {
            for (PolicyRule rule : p.rules(d)) {
                for (PeerSelector peer : rule.peers()) {
                    selectors.acquire(peer);
                    if (peer instanceof PeerSelector.Cidr c) {
                        acquirePrefix(c.cidr());
                        c.except().forEach(this::acquirePrefix);
                    }
                }
            }
        }
    }

    private void releaseReferences(ValidatedPolicy p) {
        for (Direction d : Direction.values()) {
            for (PolicyRule rule : p.rules(d)) {
                for (PeerSelector peer : rule.peers()) {
                    if (peer instanceof PeerSelector.Cidr c) {
                        releasePrefix(c.cidr());
                        c.except().forEach(this::releasePrefix);
                    }
                    selectors.release(peer);
                }
            }
        }
        selectors.release(p.subjects());
    }

    private void acquirePrefix(IpPrefix prefix) {
        IdentityAllocator.Allocation a = identities.acquire(prefix);
        if (a.created()) {
            ipcache.setCidr(prefix, a.id());
            selectors.addCidrIdentity(a.id(), prefix, selectionDeltas);
        }
    }

    private void releasePrefix(IpPrefix prefix) {
        int id = identities.idOf(prefix);
        if (identities.release(prefix)) {
            ipcache.setCidr(prefix, -1);
            selectors.removeIdentity(id, selectionDeltas);
        }
    }

    /** Indexes the egress named ports {@code p} uses (its peers are indexed once it selects a local endpoint). */
    private void addUsers(ValidatedPolicy p) {
        for (Direction d : Direction.values()) {
            for (PolicyRule rule : p.rules(d)) {
                if (d == Direction.EGRESS) {
                    for (PortSpec spec : rule.ports()) {
                        if (spec instanceof PortSpec.Named n) {
                            egressNamedPortUsers.computeIfAbsent(new NamedPortKey(n.protocol(), n.name()), k -> new HashSet<>()).add(p.ref());
                        }
                    }
                }
            }
        }
    }

    private void removeUsers(ValidatedPolicy p) {
        if (localPolicies.remove(p.ref())) {
            indexPeers(p, false);
        }
        for (Direction d : Direction.values()) {
            for (PolicyRule rule : p.rules(d)) {
                for (PortSpec spec : rule.ports()) {
                    if (spec instanceof PortSpec.Named n) {
                        removeFrom(egressNamedPortUsers, new NamedPortKey(n.protocol(), n.name()), p.ref());
                    }
                }
            }
        }
    }

    /** Adds {@code p} to, or removes it from, {@link #localPeerUsers} under each of its peers. */
    private void indexPeers(ValidatedPolicy p, boolean add) {
        for (Direction d : Direction.values()) {
            for (PolicyRule rule : p.rules(d)) {
                for (PeerSelector peer : rule.peers()) {
                    if (add) {
                        localPeerUsers.computeIfAbsent(peer, k -> new HashSet<>()).add(p.ref());
                    } else {
                        removeFrom(localPeerUsers, peer, p.ref());
                    }
                }
            }
        }
    }

    /** Brings {@link #localPeerUsers} in line for the policies whose selected endpoints changed. */
    private void indexLocalPolicies() {
        for (PolicyRef ref : selectionChanged) {
            ValidatedPolicy p = policies.get(ref);
            Set<PodRef> selected = selectedEndpoints.get(ref);
            boolean local = p != null && selected != null && !selected.isEmpty();
            if (local != localPolicies.contains(ref)) {
                if (local) {
                    localPolicies.add(ref);
                } else {
                    localPolicies.remove(ref);
                }
                indexPeers(p, local);
            }
        }
        selectionChanged.clear();
    }

    private static <K> void removeFrom(Map<K, Set<PolicyRef>> map, K key, PolicyRef ref) {
        Set<PolicyRef> set = map.get(key);
        if (set != null) {
            set.remove(ref);
            if (set.isEmpty()) map.remove(key);
        }
    }

    // ------------------------------------------------------------- lifecycle

    /**
     * Call once the initial listing of namespaces, pods and policies has been fed in: frees restored
     * identities and endpoint ids that no current object claimed. Returns how many were freed.
     */
    public int completeInitialSync() {
        return identities.releaseUnreferenced() + endpointIds.releaseUnreferenced();
    }

    // ---------------------------------------------------------------- views

    /** Current policy of every local endpoint. */
    public Map<PodRef, EndpointPolicy> endpointPolicies() {
        Map<PodRef, EndpointPolicy> out = new HashMap<>();
        for (Endpoint e : endpoints.values()) out.put(e.ref, e.published);
        return Collections.unmodifiableMap(out);
    }

    /** The ipcache as last published. */
    public IpCache ipcache() {
        return ipcache;
    }

    /** The identity allocator (for lookups and descriptions). */
    public IdentityAllocator identities() {
        return identities;
    }

    /** Accepted policies (the versions in force). */
    public Map<PolicyRef, ValidatedPolicy> acceptedPolicies() {
        return Collections.unmodifiableMap(policies);
    }

    /** Refusals in effect now, one per object (the latest). */
    public Collection<Refusal> refusals() {
        return Collections.unmodifiableCollection(refusals.values());
    }

    /** Number of selectors in the selector cache. */
    public int selectorCount() {
        return selectors.size();
    }

    // ------------------------------------------------------------- compiling

    /**
     * Ends an update: turns what changed into endpoint work, then publishes. An endpoint whose identity,
     * own named ports or selecting policies changed, or that depends on a changed egress named port, is
     * compiled in full. Every other endpoint reached by a selection change gets just the entries of that
     * (selector, identity) added or removed: each entry carries a count of the (rule, peer, identity)
     * contributions that produce it and disappears when the count drops to zero.
     */
    private PolicyChangeSet finish() {
        indexLocalPolicies();
        for (NamedPortIndex.Change c : namedPortChanges) {
            for (PolicyRef p : egressNamedPortUsers.getOrDefault(c.key(), Set.of())) {
                if (usesForNamedPort(policies.get(p), c)) {
                    dirty.addAll(selectedEndpoints.getOrDefault(p, Set.of()));
                }
            }
        }
        Set<PodRef> touched = new HashSet<>();
        for (SelectorCache.Delta delta : selectionDeltas) {
            int sign = delta.added() ? 1 : -1;
            for (PolicyRef ref : localPeerUsers.getOrDefault(delta.selector(), Set.of())) {
                Set<PodRef> selected = selectedEndpoints.get(ref);
                if (selected == null || selected.isEmpty()) continue;
                // What the delta means for this policy is the same for each endpoint it selects: found once.
                List<RuleUse> uses = usesOf(policies.get(ref), delta.selector());
                for (PodRef podRef : selected) {
                    if (dirty.contains(podRef)) continue;
                    if (uses == null) {
                        dirty.add(podRef);
                        continue;
                    }
                    Endpoint e = endpoints.get(podRef);
                    for (RuleUse use : uses) {
                        contribute(e, use.direction(), use.rule(), delta.identity(), sign);
                    }
                    touched.add(podRef);
                }
            }
        }
        for (PodRef ref : dirty) {
            Endpoint e = endpoints.get(ref);
            if (e != null) compileFull(e);
        }
        touched.addAll(dirty);
        Map<PodRef, EndpointPolicy> changed = new HashMap<>();
        for (PodRef ref : touched) {
            Endpoint e = endpoints.get(ref);
            if (e == null) continue;
            EndpointPolicy before = e.published;
            EntrySet entries;
            if (before == null || e.rebuilt) {
                entries = EntrySet.of(e.counts.keySet());
                if (before != null && before.entries().equals(entries)) {
                    entries = EntrySet.of(before.entries());
                }
            } else {
                entries = EntrySet.of(before.entries()).with(e.appeared, e.vanished);
            }
            e.appeared.clear();
            e.vanished.clear();
            e.rebuilt = false;
            boolean same = before != null && before.ingressEnforced() == e.ingress && before.egressEnforced() == e.egress
                    && before.entries() == entries;
            if (!same) {
                // Shares its bulk with the entries published before: a delta costs its own size, not the endpoint's.
                e.published = new EndpointPolicy(e.ref, e.id, e.ingress, e.egress, entries);
                changed.put(ref, e.published);
            }
        }
        PolicyChangeSet result = new PolicyChangeSet(changed, removed, ipcache.drainChanges(), newRefusals);
        selectionDeltas.clear();
        namedPortChanges.clear();
        dirty.clear();
        removed.clear();
        newRefusals.clear();
        return result;
    }

    /** A rule of a policy, with its direction, that names a selector among its peers. */
    private record RuleUse(Direction direction, PolicyRule rule) {
    }

    /**
     * The rules of {@code p} (once per peer naming {@code selector}) whose entries a change to that selector's
     * selection adds or removes; null when a rule using the selector has egress named ports (those entries also
     * depend on the named-port index, so the endpoint is compiled in full).
     */
    private static List<RuleUse> usesOf(ValidatedPolicy p, PeerSelector selector) {
        for (PolicyRule rule : p.egressRules()) {
            if (rule.hasNamedPorts() && rule.peers().contains(selector)) return null;
        }
        List<RuleUse> uses = new ArrayList<>(2);
        for (Direction d : Direction.values()) {
            for (PolicyRule rule : p.rules(d)) {
                for (PeerSelector peer : rule.peers()) {
                    if (peer.equals(selector)) uses.add(new RuleUse(d, rule));
                }
            }
        }
        return uses;
    }

    private boolean usesForNamedPort(ValidatedPolicy p, NamedPortIndex.Change c) {
        for (PolicyRule rule : p.egressRules()) {
            boolean names = false;
            for (PortSpec s : rule.ports()) {
                if (s instanceof PortSpec.Named n && n.protocol() == c.key().protocol() && n.name().equals(c.key().name())) {
                    names = true;
                }
            }
            if (!names) continue;
            if (rule.peers().isEmpty()) return true;
            for (PeerSelector peer : rule.peers()) {
                if (selectors.selections(peer).contains(c.identity())) return true;
            }
        }
        return false;
    }

    /** Recomputes an endpoint's flags and entry counts from its selecting policies. */
    private void compileFull(Endpoint e) {
        e.counts.clear();
        e.rebuilt = true;
        e.appeared.clear();
        e.vanished.clear();
        e.ingress = false;
        e.egress = false;
        for (PolicyRef ref : e.selecting) {
            ValidatedPolicy p = policies.get(ref);
            for (Direction d : Direction.values()) {
                if (!p.enforces(d)) continue;
                if (d == Direction.INGRESS) e.ingress = true; else e.egress = true;
                for (PolicyRule rule : p.rules(d)) {
                    if (rule.peers().isEmpty()) {
                        contribute(e, d, rule, Identities.ANY, 1);
                    }
                    for (PeerSelector peer : rule.peers()) {
                        for (int id : selectors.selections(peer)) contribute(e, d, rule, id, 1);
                    }
                }
            }
        }
        if (e.ingress) {
            bump(e, PolicyEntry.anyPort(e.id, Direction.INGRESS, Identities.HOST), 1);
        }
    }

    /**
     * The entries one rule yields for one peer identity ({@link Identities#ANY} when the rule has no
     * peers), counted {@code sign} times. Named ports resolve on the endpoint itself for ingress, on the
     * peer identity's pods for egress; an egress named port with no peers expands to every identity
     * declaring the name, since only pods have named ports.
     */
    private void contribute(Endpoint e, Direction d, PolicyRule rule, int identity, int sign) {
        if (rule.ports().isEmpty()) {
            bump(e, PolicyEntry.anyPort(e.id, d, identity), sign);
            return;
        }
        // An if chain, not a pattern switch: this runs per entry, and a type switch is a slow call without the
        // optimising compiler.
        for (PortSpec spec : rule.ports()) {
            if (spec instanceof PortSpec.Range r) {
                for (PortBlock b : blocks(r.first(), r.last())) {
                    bump(e, PolicyEntry.of(e.id, d, identity, r.protocol(), b), sign);
                }
            } else {
                PortSpec.Named n = (PortSpec.Named) spec;
                NamedPortKey key = new NamedPortKey(n.protocol(), n.name());
                if (d == Direction.INGRESS) {
                    for (int port : e.namedPorts.getOrDefault(key, Set.of())) {
                        bump(e, PolicyEntry.of(e.id, d, identity, n.protocol(), PortBlock.single(port)), sign);
                    }
                } else if (identity == Identities.ANY) {
                    for (Map.Entry<Integer, Map<Integer, Integer>> byId : namedPorts.identitiesWith(key).entrySet()) {
                        for (int port : byId.getValue().keySet()) {
                            bump(e, PolicyEntry.of(e.id, d, byId.getKey(), n.protocol(), PortBlock.single(port)), sign);
                        }
                    }
                } else {
                    for (int port : namedPorts.ports(identity, key)) {
                        bump(e, PolicyEntry.of(e.id, d, identity, n.protocol(), PortBlock.single(port)), sign);
                    }
                }
            }
        }
    }

    private static void bump(Endpoint e, PolicyEntry entry, int sign) {
        int count = e.counts.merge(entry, sign, Integer::sum);
        if (count == 0) {
            e.counts.remove(entry);
            if (!e.rebuilt && !e.appeared.remove(entry)) {
                e.vanished.add(entry);
            }
        } else if (count == sign) {
            if (!e.rebuilt && !e.vanished.remove(entry)) {
                e.appeared.add(entry);
            }
        } else if (count < 0) {
            throw new IllegalStateException("entry count below zero for " + e.ref + ": " + entry);
        }
    }

    private List<PortBlock> blocks(int first, int last) {
        int key = first << 16 | last;
        List<PortBlock> blocks = blockCache.get(key);
        if (blocks == null) {
            blocks = List.copyOf(PortRanges.split(first, last));
            blockCache.put(key, blocks);
        }
        return blocks;
    }

    // ---------------------------------------------------------------- misc

    private void refuse(Refusal r) {
        refusals.put(key(r.kind(), r.namespace(), r.name()), r);
        newRefusals.add(r);
    }

    private static String key(String kind, String namespace, String name) {
        return kind + " " + namespace + "/" + name;
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }
}
