package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.servicelb.EndpointSelection.Candidate;
import io.sluice.servicelb.EndpointSelection.Selection;
import io.sluice.servicelb.ParsedService.ParsedPort;
import io.sluice.servicelb.ParsedService.SourcedIp;
import io.sluice.servicelb.ParsedSlice.SliceEndpoint;
import io.sluice.servicelb.ParsedSlice.SlicePort;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns Services and their EndpointSlices into the desired frontends and backends of this node, with
 * kube-proxy's semantics:
 *
 * <ul>
 *   <li>Frontends, per Service port and per family of the Service's cluster IPs: the cluster IP; the node
 *       port on every node address {@link NodeContext#nodePortAddresses(IpFamily)} allows; every external IP
 *       and every VIP-mode load-balancer ingress IP of that family. A family without a cluster IP gets
 *       nothing, as in kube-proxy. Headless and ExternalName Services produce nothing.</li>
 *   <li>Backends: the endpoints of the Service's slices of that family whose slice port has the Service port's
 *       name and protocol; the backend port is that slice port's number, which is how a named
 *       {@code targetPort} is resolved, slice by slice. Endpoints listed twice count once (a local copy wins).
 *       Which of them are used follows {@link EndpointSelection}: ready, else serving and terminating;
 *       node-local only under a {@code Local} traffic policy (internal policy for the cluster IP, external
 *       policy for the rest).</li>
 *   <li>Flags: {@link FrontendFlag#LOCAL_ONLY}; on external frontends {@link FrontendFlag#PRESERVE_CLIENT_IP}
 *       ({@code externalTrafficPolicy: Local}) or {@link FrontendFlag#SNAT_REMOTE_BACKENDS} ({@code Cluster}).</li>
 * </ul>
 *
 * <p>Bad input never throws: every problem becomes a {@link Refusal} naming the object and field, and only the
 * affected part is left out. Stateless and immutable, so safe to share between threads.
 */
public final class ServiceTranslator {

    private final ServiceLbConfig config;
    private final NodeContext node;

    public ServiceTranslator(ServiceLbConfig config, NodeContext node) {
        this.config = Objects.requireNonNull(config, "config");
        this.node = Objects.requireNonNull(node, "node");
    }

    /** The settings this translator uses. */
    public ServiceLbConfig config() {
        return config;
    }

    /** The node this translator translates for. */
    public NodeContext node() {
        return node;
    }

    /**
     * Translates one Service with the EndpointSlices that belong to it. A slice that names another Service is
     * refused.
     *
     * @param service the Service; any field may be missing or malformed
     * @param slices  its EndpointSlices, in any order; no null elements
     * @return at most one {@link DesiredService}, and the refusals
     */
    public TranslationResult translate(Service service, Collection<EndpointSlice> slices) {
        Refusals refusals = new Refusals();
        DesiredService desired = translateService(service, slices, refusals);
        return new TranslationResult(desired == null ? Map.of() : Map.of(desired.key(), desired), refusals.list());
    }

    /**
     * What {@link #translate} gives for one Service, without the result's maps, for a caller that translates Service
     * by Service (the agent's writer, 10,000 times in a first sync): its {@link DesiredService}, or null, with the
     * refusals added to {@code refusals}.
     */
    public DesiredService desiredService(Service service, Collection<EndpointSlice> slices, List<Refusal> refusals) {
        Objects.requireNonNull(refusals, "refusals");
        Refusals collected = new Refusals(refusals);
        return translateService(service, slices, collected);
    }

    private DesiredService translateService(Service service, Collection<EndpointSlice> slices, Refusals refusals) {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(slices, "slices");
        Optional<ServiceTranslation> translation = translateOne(service, slices, refusals);
        return translation.isPresent() ? translation.get().service() : null;
    }

    /**
     * Translates a whole set: slices are matched to Services by namespace and their
     * {@code kubernetes.io/service-name} label; slices of Services not in the set are ignored. When two Services
     * claim the same frontend address, the older one (by {@code creationTimestamp}, then namespace/name) keeps it
     * and the other's frontend is refused, so a new Service cannot take an address away from a running one.
     *
     * @param services the Services, in any order; no null elements
     * @param slices   the EndpointSlices, in any order; no null elements
     */
    public TranslationResult translateAll(Collection<Service> services, Collection<EndpointSlice> slices) {
        Objects.requireNonNull(services, "services");
        Objects.requireNonNull(slices, "slices");
        Refusals refusals = new Refusals();
        Map<ServiceKey, List<EndpointSlice>> slicesByService = new HashMap<>();
        for (EndpointSlice slice : slices) {
            Optional<ServiceKey> owner = EndpointSliceReader.serviceOf(slice);
            if (owner.isEmpty()) {
                refusals.add(EndpointSliceReader.refOf(slice), EndpointSliceReader.SERVICE_NAME_LABEL_FIELD,
                        RefusalReason.SLICE_SERVICE_MISMATCH,
                        "no namespace or no Service name label; EndpointSlice ignored");
                continue;
            }
            slicesByService.computeIfAbsent(owner.get(), k -> new ArrayList<>()).add(slice);
        }

        List<Service> ordered = new ArrayList<>(services);
        ordered.sort(PRECEDENCE);
        Map<ServiceKey, DesiredService> result = new TreeMap<>();
        Map<FrontendAddress, ServiceFrontend> claimed = new HashMap<>();
        Set<ServiceKey> seen = new HashSet<>();
        for (Service service : ordered) {
            ObjectMeta meta = service.getMetadata();
            Optional<ServiceKey> key = keyOf(meta);
            if (key.isPresent() && !seen.add(key.get())) {
                refusals.add(new ObjectRef(ObjectRef.SERVICE, meta.getNamespace(), meta.getName()), "metadata.name",
                        RefusalReason.INVALID_OBJECT, "the same Service appears twice in the input; second ignored");
                continue;
            }
            List<EndpointSlice> own = key.map(k -> slicesByService.getOrDefault(k, List.of())).orElse(List.of());
            Optional<ServiceTranslation> translation = translateOne(service, own, refusals);
            if (translation.isEmpty()) {
                continue;
            }
            List<DesiredFrontend> kept = new ArrayList<>();
            for (DesiredFrontend frontend : translation.get().service().frontends()) {
                ServiceFrontend owner = claimed.putIfAbsent(frontend.address(), frontend.frontend());
                if (owner == null) {
                    kept.add(frontend);
                } else {
                    refusals.add(translation.get().ref(), translation.get().fieldOf(frontend.address()),
                            RefusalReason.FRONTEND_CONFLICT, frontend.address() + " is already "
                                    + describe(owner) + "; frontend left out");
                }
            }
            if (!kept.isEmpty()) {
                result.put(translation.get().service().key(),
                        new DesiredService(translation.get().service().key(), kept));
            }
        }
        return new TranslationResult(result, refusals.list());
    }

    /** Older Services first, then by namespace and name; Services without a readable timestamp last. */
    private static final Comparator<Service> PRECEDENCE = Comparator
            .comparing((Service s) -> creationTime(s.getMetadata()), Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(s -> s.getMetadata() == null ? "" : Objects.toString(s.getMetadata().getNamespace(), ""))
            .thenComparing(s -> s.getMetadata() == null ? "" : Objects.toString(s.getMetadata().getName(), ""));

    private static Instant creationTime(ObjectMeta meta) {
        if (meta == null || meta.getCreationTimestamp() == null) {
            return null;
        }
        try {
            return Instant.parse(meta.getCreationTimestamp());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Optional<ServiceKey> keyOf(ObjectMeta meta) {
        if (meta == null || meta.getNamespace() == null || meta.getNamespace().isEmpty()
                || meta.getName() == null || meta.getName().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ServiceKey(meta.getNamespace(), meta.getName()));
    }

    /** One Service's result, with the field each frontend address came from (for conflict refusals). */
    private record ServiceTranslation(DesiredService service, ObjectRef ref, Map<FrontendAddress, String> fields) {

        String fieldOf(FrontendAddress address) {
            return fields.get(address);
        }
    }

    private static final Comparator<ParsedSlice> BY_NAME = Comparator.comparing(ParsedSlice::name);

    private Optional<ServiceTranslation> translateOne(Service service, Collection<EndpointSlice> slices,
                                                      Refusals refusals) {
        Optional<ParsedService> parsed = ServiceReader.read(service, refusals);
        if (parsed.isEmpty()) {
            return Optional.empty();
        }
        ParsedService svc = parsed.get();
        List<ParsedSlice> parsedSlices = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            EndpointSliceReader.read(slice, svc.key(), refusals).ifPresent(parsedSlices::add);
        }
        parsedSlices.sort(BY_NAME);

        FrontendCollector builder = new FrontendCollector(svc, refusals);
        for (SourcedIp clusterIp : svc.clusterIps()) {
            IpFamily family = clusterIp.ip().family();
            List<ParsedSlice> ofFamily = new ArrayList<>(parsedSlices.size());
            for (ParsedSlice slice : parsedSlices) {
                if (slice.family() == family) {
                    ofFamily.add(slice);
                }
            }
            for (ParsedPort port : svc.ports()) {
                builder.addPort(clusterIp, port, candidates(ofFamily, port));
            }
        }
        if (builder.frontends.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ServiceTranslation(new DesiredService(svc.key(), builder.frontends), svc.ref(),
                builder.fields));
    }

    /**
     * The endpoints serving one Service port, deduplicated by address and port. Slices are read in name order
     * and a later copy replaces an earlier one only when it is local, as kube-proxy does.
     */
    private List<Candidate> candidates(List<ParsedSlice> slices, ParsedPort port) {
        Map<EndpointKey, Candidate> byEndpoint = new LinkedHashMap<>();
        for (ParsedSlice slice : slices) {
            Optional<SlicePort> slicePort = slice.portFor(port.name(), port.protocol());
            if (slicePort.isEmpty()) {
                continue;
            }
            for (SliceEndpoint endpoint : slice.endpoints()) {
                boolean local = node.isLocal(endpoint.nodeName());
                ServiceBackend backend = new ServiceBackend(endpoint.address(), slicePort.get().port(),
                        port.protocol(), endpoint.nodeName(), endpoint.zone(), local, endpoint.terminating());
                EndpointKey key = new EndpointKey(endpoint.address(), slicePort.get().port());
                Candidate existing = byEndpoint.get(key);
                if (existing == null || (local && !existing.backend().local())) {
                    byEndpoint.put(key, new Candidate(backend, endpoint.ready(), endpoint.serving()));
                }
            }
        }
        return new ArrayList<>(byEndpoint.values());
    }

    /** An endpoint's address and resolved port: what deduplicates endpoints listed in more than one slice. */
    private record EndpointKey(IpAddress address, int port) {

        /** Hand-written: a record's generated equals goes through a method handle, slow under C1. */
        @Override
        public boolean equals(Object o) {
            return o instanceof EndpointKey other && port == other.port && address.equals(other.address);
        }

        @Override
        public int hashCode() {
            return 31 * address.hashCode() + port;
        }
    }

    /** Builds one Service's frontends, claiming each address once. */
    private final class FrontendCollector {

        private final ParsedService svc;
        private final Refusals refusals;
        private final List<DesiredFrontend> frontends = new ArrayList<>();
        private final Map<FrontendAddress, String> fields = new HashMap<>();
        private final Map<FrontendAddress, ServiceFrontend> claimed = new HashMap<>();
        private final Map<List<ServiceBackend>, MaglevTable> tables = new HashMap<>();

        FrontendCollector(ParsedService svc, Refusals refusals) {
            this.svc = svc;
            this.refusals = refusals;
        }

        void addPort(SourcedIp clusterIp, ParsedPort port, List<Candidate> candidates) {
            IpFamily family = clusterIp.ip().family();
            List<IpAddress> nodeAddresses = port.nodePort() == 0 ? List.of() : node.nodePortAddresses(family);
            List<SourcedIp> externalIps = ofFamily(svc.externalIps(), family);
            List<SourcedIp> loadBalancerIps = ofFamily(svc.loadBalancerIps(), family);
            boolean hasExternal = !nodeAddresses.isEmpty() || !externalIps.isEmpty() || !loadBalancerIps.isEmpty();

            Selection internal = EndpointSelection.select(candidates, svc.internalLocal());
            Selection external = hasExternal ? EndpointSelection.select(candidates, svc.externalLocal()) : internal;
            int most = Math.max(internal.backends().size(), external.backends().size());
            if (most > config.maxBackendsPerService()) {
                refusals.add(svc.ref(), port.field(), RefusalReason.TOO_MANY_BACKENDS, port.describe() + " has "
                        + most + " usable " + family + " backends, more than maxBackendsPerService="
                        + config.maxBackendsPerService() + "; its " + family + " frontends are left out");
                return;
            }

            ServicePortName portName = new ServicePortName(svc.key(), port.name());
            Set<FrontendFlag> internalFlags = svc.internalLocal()
                    ? EnumSet.of(FrontendFlag.LOCAL_ONLY) : EnumSet.noneOf(FrontendFlag.class);
            Set<FrontendFlag> externalFlags = svc.externalLocal()
                    ? EnumSet.of(FrontendFlag.LOCAL_ONLY, FrontendFlag.PRESERVE_CLIENT_IP)
                    : EnumSet.of(FrontendFlag.SNAT_REMOTE_BACKENDS);

            add(portName, FrontendKind.CLUSTER_IP, clusterIp.ip(), port.port(), port, clusterIp.field(),
                    internalFlags, internal);
            for (IpAddress address : nodeAddresses) {
                add(portName, FrontendKind.NODE_PORT, address, port.nodePort(), port,
                        port.field() + ".nodePort", externalFlags, external);
            }
            for (SourcedIp ip : externalIps) {
                add(portName, FrontendKind.EXTERNAL_IP, ip.ip(), port.port(), port, ip.field(), externalFlags,
                        external);
            }
            for (SourcedIp ip : loadBalancerIps) {
                add(portName, FrontendKind.LOAD_BALANCER, ip.ip(), port.port(), port, ip.field(), externalFlags,
                        external);
            }
        }

        private void add(ServicePortName portName, FrontendKind kind, IpAddress ip, int portNumber,
                         ParsedPort port, String field, Set<FrontendFlag> flags, Selection selection) {
            FrontendAddress address = new FrontendAddress(ip, portNumber, port.protocol());
            ServiceFrontend frontend = new ServiceFrontend(portName, kind, address, svc.algorithm(),
                    svc.affinity(), flags);
            ServiceFrontend owner = claimed.putIfAbsent(address, frontend);
            if (owner != null) {
                // The same address listed twice for the same port and kind (a repeated external IP) is one frontend.
                if (!(owner.kind() == kind && owner.servicePort().equals(portName))) {
                    refusals.add(svc.ref(), field, RefusalReason.FRONTEND_CONFLICT, address + " is already "
                            + describe(owner) + "; frontend left out");
                }
                return;
            }
            MaglevTable table = svc.algorithm() == LbAlgorithm.MAGLEV && !selection.backends().isEmpty()
                    ? tables.computeIfAbsent(selection.backends(),
                    b -> MaglevTable.build(b, config.maglevTableSize()))
                    : null;
            frontends.add(new DesiredFrontend(frontend, selection.backends(), selection.verdict(), table));
            fields.put(address, field);
        }
    }

    private static List<SourcedIp> ofFamily(List<SourcedIp> ips, IpFamily family) {
        if (ips.isEmpty()) {
            return List.of();
        }
        List<SourcedIp> result = new ArrayList<>(ips.size());
        for (SourcedIp ip : ips) {
            if (ip.ip().family() == family) {
                result.add(ip);
            }
        }
        return result;
    }

    private static String describe(ServiceFrontend owner) {
        return "the " + owner.kind() + " frontend of " + owner.servicePort();
    }
}
