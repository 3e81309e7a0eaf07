package io.sluice.agent.source;

import static io.sluice.agent.source.LibYamlParser.DOCUMENT_END;
import static io.sluice.agent.source.LibYamlParser.DOCUMENT_START;
import static io.sluice.agent.source.LibYamlParser.MAPPING_END;
import static io.sluice.agent.source.LibYamlParser.MAPPING_START;
import static io.sluice.agent.source.LibYamlParser.PLAIN;
import static io.sluice.agent.source.LibYamlParser.SCALAR;
import static io.sluice.agent.source.LibYamlParser.SEQUENCE_END;
import static io.sluice.agent.source.LibYamlParser.SEQUENCE_START;
import static io.sluice.agent.source.LibYamlParser.STREAM_END;
import static io.sluice.agent.source.LibYamlParser.STREAM_START;
import static io.sluice.agent.source.ModelCompactor.sharedLeafOf;
import static io.sluice.agent.source.ModelCompactor.sharedString;

import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PortStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.sluice.agent.model.ResourceKind;
import io.sluice.servicelb.PackedEndpointSlice;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import org.snakeyaml.engine.v2.nodes.Tag;
import tools.jackson.core.JsonParser;

/**
 * Binds a manifest document holding a v1 {@code Service} or a {@code discovery.k8s.io/v1} {@code EndpointSlice}
 * straight from LibYAML's events ({@link LibYamlEvents}) to fabric8's model, already compact as
 * {@link ModelCompactor#compact} leaves it (its shared strings and leaves, immutable lists, {@code Map.of} for
 * one-entry maps, shared empty collections), or says it is not its to bind (null).
 *
 * <p>Why: a manifest folder holds these two kinds by the thousand, and going through snakeyaml-engine's event
 * objects, Jackson's tokens, fabric8's bean deserializers and the compactor's reflective walk was most of the
 * agent's start, run by code still cold then (C1 or the interpreter). This is small code that allocates little
 * more than the result.
 *
 * <p>An IPv4 slice whose every endpoint has the common shape (one address, a plain dotted quad; conditions, nodeName,
 * zone and a Pod targetRef as the endpointslice controller writes it at most) comes as a {@link PackedEndpointSlice}: no objects per endpoint, equal to the slice of fabric8's
 * endpoints it stands for.
 *
 * <p>Not its to bind, on any doubt, so the document takes {@link ManifestDocumentBinder}'s path and its problems
 * are reported as always: another kind or apiVersion, a field it does not know (fabric8 would keep it among the
 * object's additional properties), a duplicate key, an anchor, alias or tag, a {@code null} where a collection or
 * an object is expected, a scalar whose YAML type (the JSON schema's, as Jackson reads it) is not the field's own
 * ({@code port: "80"}, {@code name: 123}, {@code ready: yes}: Jackson would coerce or refuse them), a negative or
 * very long number, a status condition, managed fields, a document LibYAML refuses or may read otherwise than
 * snakeyaml-engine ({@link ManifestDocumentBinder#libYamlReadsAlike}). A {@code null} scalar where a string, number
 * or boolean is expected leaves the field unset, as Jackson does. ManifestDocumentBinder's path followed by the
 * compactor gives an equal object for every document bound here (CompactServiceBinderTest).
 *
 * <p>The API path binds the same two kinds from Jackson's tokens ({@link #bindListItem}, {@link #bindRestOf}: a list
 * page's items, a watch event's object), read as the events LibYAML gives for that JSON ({@link JsonObjectEvents}),
 * so that the same rules decide; there an object's {@code managedFields} are read past, as the agent's Jackson parse
 * does, and a list item may leave out {@code apiVersion} and {@code kind} (the API server does), which then are the
 * list's kind's as fabric8's model classes start with them.
 *
 * <p>Thread-safe: each document gets its own instance and its own LibYAML parser (or Jackson parser).
 */
final class CompactServiceBinder {
    /** Not this binder's document: thrown from anywhere below, without a stack. */
    private static final class NotMine extends RuntimeException {
        NotMine() {
            super(null, null, false, false);
        }
    }

    private static final NotMine NOT_MINE = new NotMine();
    private static final int BIG_INT_DIGITS = 9;
    private static final int BIG_LONG_DIGITS = 18;

    /**
     * What the binder reads, one event at a time: LibYAML's events of a manifest document ({@link LibYamlEvents}), or
     * an API object's JSON tokens as the events LibYAML would give for that JSON ({@link JsonObjectEvents}).
     */
    interface Events {
        /** Moves to the next event and returns its type ({@link LibYamlParser#SCALAR}, ...). */
        int next();

        /** Whether the current event (a scalar or a collection's start) has an anchor or a tag. */
        boolean decorated();

        /** The current scalar's style: {@link LibYamlParser#PLAIN}, {@link LibYamlParser#DOUBLE_QUOTED}, ... */
        int scalarStyle();

        /** The current scalar's text. */
        String scalar();

        /**
         * The current scalar's text as chars, {@link #scalarLength} of them from {@link #scalarOffset}, in an array of
         * the reader's that is valid until the next event (never kept or changed): text that is taken apart or looked
         * up needs no String. Ask for it first, then for the offset and length.
         */
        char[] scalarChars();

        /** Where the text of the array {@link #scalarChars} returned starts. */
        int scalarOffset();

        /** How many chars the text of the array {@link #scalarChars} returned has. */
        int scalarLength();
    }

    /**
     * Text copied out of the reader's buffer ({@link Events#scalarChars}) for the packer, which takes it apart without
     * a String of it (an endpoint's address, a Pod's name and uid); {@link #toString} makes the String when the
     * endpoint is not packed after all.
     */
    private static final class Chars implements CharSequence {
        private char[] value = new char[64];
        private int length;

        void copy(char[] chars, int from, int count) {
            if (value.length < count) {
                value = new char[Math.max(count, 2 * value.length)];
            }
            System.arraycopy(chars, from, value, 0, count);
            length = count;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public char charAt(int index) {
            if (index >= length) {
                throw new IndexOutOfBoundsException(index);
            }
            return value[index];
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return toString().substring(start, end);
        }

        @Override
        public String toString() {
            return new String(value, 0, length);
        }
    }

    /**
     * What reading a slice's endpoints works in, per thread, reused from one slice to the next: the packer and the
     * text copied for it. A binder reads one slice at a time on its thread.
     */
    private static final class Scratch {
        final PackedEndpointSlice.Packer packer = new PackedEndpointSlice.Packer();
        /** The endpoint being read's one address, when it came as text other than a plain scalar. */
        final Chars address = new Chars();
        /** The endpoint being read's targetRef's name and uid, when they came as text other than plain scalars. */
        final Chars podName = new Chars();
        final Chars podUid = new Chars();
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /**
     * Per conditions code (as {@link #conditionsCode}), the shared {@link EndpointConditions} instance: an endpoint's
     * conditions are read into their code, without an object of their own.
     */
    private static final AtomicReferenceArray<EndpointConditions> CONDITIONS = new AtomicReferenceArray<>(28);

    private final Events events;
    /** The identity an object without {@code apiVersion} and {@code kind} has (a list's item), or null. */
    private final ResourceKind itemKind;
    /** The slice's endpoints when every one has the packed shape; then {@link #endpointList} returned null. */
    private PackedEndpointSlice.Packer packedEndpoints;
    /** This thread's, once the binder reads a slice's endpoints. */
    private Scratch scratch;
    /**
     * The endpoint being read's targetRef, as {@link #readTargetRef} reads it for the packer: its strings, and its name
     * and uid as text ({@link Scratch#podName}, {@link Scratch#podUid} when not plain scalars; else Strings, or null).
     */
    private String refKind;
    private String refNamespace;
    private String refApiVersion;
    private String refResourceVersion;
    private String refFieldPath;
    private CharSequence refName;
    private CharSequence refUid;

    private CompactServiceBinder(Events events, ResourceKind itemKind) {
        this.events = events;
        this.itemKind = itemKind;
    }

    /** The Service or EndpointSlice of {@code document}, compact, or null when it is not this binder's to bind. */
    static HasMetadata bind(String document) {
        byte[] utf8 = LibYaml.available() ? ManifestDocumentBinder.libYamlInput(document) : null;
        if (utf8 == null) {
            return null;
        }
        try (LibYamlEvents events = new LibYamlEvents(utf8)) {
            return new CompactServiceBinder(events, null).document();
        } catch (RuntimeException notMine) {
            return null; // the usual path reads it and reports any problem
        }
    }

    /**
     * As {@link #bind(String)}, for the document {@code ascii[from, to)} of a file that is all ASCII: read where it
     * lies, without a String of its own or another copy of its bytes.
     */
    static HasMetadata bind(byte[] ascii, int from, int to) {
        if (!LibYaml.available() || !ManifestDocumentBinder.libYamlReadsAlike(ascii, from, to)) {
            return null;
        }
        try (LibYamlEvents events = new LibYamlEvents(ascii, from, to)) {
            return new CompactServiceBinder(events, null).document();
        } catch (RuntimeException notMine) {
            return null;
        }
    }

    /**
     * The Service or EndpointSlice whose JSON object starts at {@code parser}'s current START_OBJECT, an item of a
     * list of {@code kind} (which may leave out its {@code apiVersion} and {@code kind}, as the API server does), compact
     * as {@link #bind(String)} gives it and without its {@code metadata.managedFields}; null when it is not this
     * binder's to bind (then {@code parser} stands anywhere in the object). A JSON string is a quoted scalar, a number,
     * {@code true}, {@code false} or {@code null} a plain one, so what Jackson would coerce or refuse is left to it
     * as in a manifest.
     */
    static HasMetadata bindListItem(JsonParser parser, ResourceKind kind) {
        return bindJson(JsonObjectEvents.at(parser), kind);
    }

    /**
     * As {@link #bindListItem}, for an object of {@code kind} whose {@code apiVersion} and {@code kind}, and nothing
     * else, were read already (a watch event's, as the API server writes them first): from {@code parser}'s current
     * token on, the next field's name or the object's END_OBJECT.
     */
    static HasMetadata bindRestOf(JsonParser parser, ResourceKind kind) {
        return bindJson(JsonObjectEvents.resumed(parser), kind);
    }

    private static HasMetadata bindJson(JsonObjectEvents events, ResourceKind kind) {
        if (kind != ResourceKind.SERVICE && kind != ResourceKind.ENDPOINT_SLICE) {
            return null;
        }
        try {
            HasMetadata object = new CompactServiceBinder(events, kind).document();
            return kind.type().isInstance(object) ? object : null;
        } catch (RuntimeException notMine) {
            return null; // fabric8's parse reads it and reports any problem
        }
    }

    private HasMetadata document() {
        expect(STREAM_START);
        expect(DOCUMENT_START);
        startMapping();
        String apiVersion = null;
        String kind = null;
        ObjectMeta metadata = null;
        ServiceSpec spec = null;
        ServiceStatus status = null;
        String addressType = null;
        List<EndpointPort> ports = List.of();
        List<Endpoint> endpoints = List.of();
        int seen = 0;
        int sliceFields = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "apiVersion" -> {
                    seen = once(seen, 0);
                    apiVersion = requiredSharedText();
                }
                case "kind" -> {
                    seen = once(seen, 1);
                    kind = requiredSharedText();
                }
                case "metadata" -> {
                    seen = once(seen, 2);
                    metadata = objectMeta();
                }
                case "spec" -> {
                    seen = once(seen, 3);
                    spec = serviceSpec();
                }
                case "status" -> {
                    seen = once(seen, 4);
                    status = serviceStatus();
                }
                case "addressType" -> {
                    seen = once(seen, 5);
                    sliceFields++;
                    addressType = sharedText();
                }
                case "ports" -> {
                    seen = once(seen, 6);
                    sliceFields++;
                    ports = list(this::endpointPort);
                }
                case "endpoints" -> {
                    seen = once(seen, 7);
                    sliceFields++;
                    endpoints = endpointList();
                }
                default -> throw NOT_MINE;
            }
        }
        expect(DOCUMENT_END);
        expect(STREAM_END);
        if (itemKind != null && apiVersion == null && kind == null) {
            apiVersion = itemKind.apiVersion(); // what fabric8's model classes start with
            kind = itemKind.apiKind();
        }
        if ("v1".equals(apiVersion) && "Service".equals(kind) && sliceFields == 0) {
            Service service = new Service();
            service.setApiVersion(sharedString(apiVersion));
            service.setKind(sharedString(kind));
            service.setMetadata(metadata);
            service.setSpec(spec);
            service.setStatus(status);
            service.setAdditionalProperties(Map.of());
            return service;
        }
        if ("discovery.k8s.io/v1".equals(apiVersion) && "EndpointSlice".equals(kind)
                && (seen & (1 << 3 | 1 << 4)) == 0) { // no spec, no status
            if (packedEndpoints != null) {
                if (PackedEndpointSlice.Packer.packs(addressType)) {
                    return packedEndpoints.slice(addressType, sharedString(apiVersion), sharedString(kind), metadata,
                            ports);
                }
                endpoints = packedEndpoints.endpoints();
            }
            EndpointSlice slice = new EndpointSlice();
            slice.setApiVersion(sharedString(apiVersion));
            slice.setKind(sharedString(kind));
            slice.setMetadata(metadata);
            slice.setAddressType(addressType);
            slice.setPorts(ports);
            slice.setEndpoints(endpoints);
            slice.setAdditionalProperties(Map.of());
            return slice;
        }
        throw NOT_MINE;
    }

    private ObjectMeta objectMeta() {
        startMapping();
        ObjectMeta meta = new ObjectMeta();
        Map<String, String> labels = Map.of();
        Map<String, String> annotations = Map.of();
        List<String> finalizers = List.of();
        List<OwnerReference> owners = List.of();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "name" -> {
                    seen = once(seen, 0);
                    meta.setName(string());
                }
                case "namespace" -> {
                    seen = once(seen, 1);
                    meta.setNamespace(sharedText());
                }
                case "labels" -> {
                    seen = once(seen, 2);
                    labels = stringMap();
                }
                case "annotations" -> {
                    seen = once(seen, 3);
                    annotations = stringMap();
                }
                case "uid" -> {
                    seen = once(seen, 4);
                    meta.setUid(string());
                }
                case "resourceVersion" -> {
                    seen = once(seen, 5);
                    meta.setResourceVersion(string());
                }
                case "generation" -> {
                    seen = once(seen, 6);
                    meta.setGeneration(longValue());
                }
                case "creationTimestamp" -> {
                    seen = once(seen, 7);
                    meta.setCreationTimestamp(string());
                }
                case "generateName" -> {
                    seen = once(seen, 8);
                    meta.setGenerateName(string());
                }
                case "ownerReferences" -> {
                    seen = once(seen, 9);
                    owners = list(this::ownerReference);
                }
                case "finalizers" -> {
                    seen = once(seen, 10);
                    finalizers = stringList();
                }
                case "selfLink" -> {
                    seen = once(seen, 11);
                    meta.setSelfLink(string());
                }
                case "deletionTimestamp" -> {
                    seen = once(seen, 12);
                    meta.setDeletionTimestamp(string());
                }
                case "deletionGracePeriodSeconds" -> {
                    seen = once(seen, 13);
                    meta.setDeletionGracePeriodSeconds(longValue());
                }
                case "managedFields" -> {
                    // An API object's are read past, as the agent's parse of them does; a manifest's go the usual way.
                    if (!(events instanceof JsonObjectEvents json)) {
                        throw NOT_MINE;
                    }
                    seen = once(seen, 14);
                    json.skipValue();
                }
                default -> throw NOT_MINE;
            }
        }
        meta.setLabels(labels);
        meta.setAnnotations(annotations);
        meta.setFinalizers(finalizers);
        meta.setOwnerReferences(owners);
        meta.setManagedFields(List.of());
        meta.setAdditionalProperties(Map.of());
        return meta;
    }

    private OwnerReference ownerReference() {
        OwnerReference owner = new OwnerReference();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "apiVersion" -> {
                    seen = once(seen, 0);
                    owner.setApiVersion(sharedText());
                }
                case "kind" -> {
                    seen = once(seen, 1);
                    owner.setKind(sharedText());
                }
                case "name" -> {
                    seen = once(seen, 2);
                    owner.setName(string());
                }
                case "uid" -> {
                    seen = once(seen, 3);
                    owner.setUid(string());
                }
                case "controller" -> {
                    seen = once(seen, 4);
                    owner.setController(bool());
                }
                case "blockOwnerDeletion" -> {
                    seen = once(seen, 5);
                    owner.setBlockOwnerDeletion(bool());
                }
                default -> throw NOT_MINE;
            }
        }
        owner.setAdditionalProperties(Map.of());
        return owner;
    }

    private ServiceSpec serviceSpec() {
        startMapping();
        ServiceSpec spec = new ServiceSpec();
        List<String> clusterIps = List.of();
        List<String> externalIps = List.of();
        List<String> ipFamilies = List.of();
        List<String> sourceRanges = List.of();
        List<ServicePort> ports = List.of();
        Map<String, String> selector = Map.of();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "clusterIP" -> {
                    seen = once(seen, 0);
                    spec.setClusterIP(string());
                }
                case "clusterIPs" -> {
                    seen = once(seen, 1);
                    clusterIps = stringList();
                }
                case "type" -> {
                    seen = once(seen, 2);
                    spec.setType(sharedText());
                }
                case "ports" -> {
                    seen = once(seen, 3);
                    ports = list(this::servicePort);
                }
                case "selector" -> {
                    seen = once(seen, 4);
                    selector = stringMap();
                }
                case "sessionAffinity" -> {
                    seen = once(seen, 5);
                    spec.setSessionAffinity(sharedText());
                }
                case "sessionAffinityConfig" -> {
                    seen = once(seen, 6);
                    spec.setSessionAffinityConfig(sessionAffinityConfig());
                }
                case "externalIPs" -> {
                    seen = once(seen, 7);
                    externalIps = stringList();
                }
                case "externalTrafficPolicy" -> {
                    seen = once(seen, 8);
                    spec.setExternalTrafficPolicy(sharedText());
                }
                case "internalTrafficPolicy" -> {
                    seen = once(seen, 9);
                    spec.setInternalTrafficPolicy(sharedText());
                }
                case "ipFamilies" -> {
                    seen = once(seen, 10);
                    ipFamilies = stringList();
                }
                case "ipFamilyPolicy" -> {
                    seen = once(seen, 11);
                    spec.setIpFamilyPolicy(sharedText());
                }
                case "loadBalancerIP" -> {
                    seen = once(seen, 12);
                    spec.setLoadBalancerIP(string());
                }
                case "healthCheckNodePort" -> {
                    seen = once(seen, 13);
                    spec.setHealthCheckNodePort(integer());
                }
                case "publishNotReadyAddresses" -> {
                    seen = once(seen, 14);
                    spec.setPublishNotReadyAddresses(bool());
                }
                case "trafficDistribution" -> {
                    seen = once(seen, 15);
                    spec.setTrafficDistribution(string());
                }
                case "allocateLoadBalancerNodePorts" -> {
                    seen = once(seen, 16);
                    spec.setAllocateLoadBalancerNodePorts(bool());
                }
                case "externalName" -> {
                    seen = once(seen, 17);
                    spec.setExternalName(string());
                }
                case "loadBalancerClass" -> {
                    seen = once(seen, 18);
                    spec.setLoadBalancerClass(string());
                }
                case "loadBalancerSourceRanges" -> {
                    seen = once(seen, 19);
                    sourceRanges = stringList();
                }
                default -> throw NOT_MINE;
            }
        }
        spec.setClusterIPs(clusterIps);
        spec.setExternalIPs(externalIps);
        spec.setIpFamilies(ipFamilies);
        spec.setLoadBalancerSourceRanges(sourceRanges);
        spec.setPorts(ports);
        spec.setSelector(selector);
        spec.setAdditionalProperties(Map.of());
        return spec;
    }

    private ServicePort servicePort() {
        ServicePort port = new ServicePort();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "name" -> {
                    seen = once(seen, 0);
                    port.setName(string());
                }
                case "port" -> {
                    seen = once(seen, 1);
                    port.setPort(integer());
                }
                case "targetPort" -> {
                    seen = once(seen, 2);
                    port.setTargetPort(intOrString());
                }
                case "protocol" -> {
                    seen = once(seen, 3);
                    port.setProtocol(sharedText());
                }
                case "nodePort" -> {
                    seen = once(seen, 4);
                    port.setNodePort(integer());
                }
                case "appProtocol" -> {
                    seen = once(seen, 5);
                    port.setAppProtocol(sharedText());
                }
                default -> throw NOT_MINE;
            }
        }
        port.setAdditionalProperties(Map.of());
        return port;
    }

    private SessionAffinityConfig sessionAffinityConfig() {
        startMapping();
        SessionAffinityConfig config = new SessionAffinityConfig();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            if (!key.equals("clientIP")) {
                throw NOT_MINE;
            }
            seen = once(seen, 0);
            startMapping();
            ClientIPConfig clientIp = new ClientIPConfig();
            int clientSeen = 0;
            for (String field; (field = key()) != null; ) {
                if (!field.equals("timeoutSeconds")) {
                    throw NOT_MINE;
                }
                clientSeen = once(clientSeen, 0);
                clientIp.setTimeoutSeconds(integer());
            }
            clientIp.setAdditionalProperties(Map.of());
            config.setClientIP(clientIp);
        }
        config.setAdditionalProperties(Map.of());
        return config;
    }

    private ServiceStatus serviceStatus() {
        startMapping();
        ServiceStatus status = new ServiceStatus();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "loadBalancer" -> {
                    seen = once(seen, 0);
                    status.setLoadBalancer(loadBalancerStatus());
                }
                case "conditions" -> {
                    seen = once(seen, 1);
                    startSequence();
                    expect(SEQUENCE_END); // conditions themselves are left to the usual path
                }
                default -> throw NOT_MINE;
            }
        }
        status.setConditions(List.of());
        status.setAdditionalProperties(Map.of());
        return status;
    }

    private LoadBalancerStatus loadBalancerStatus() {
        startMapping();
        LoadBalancerStatus loadBalancer = new LoadBalancerStatus();
        List<LoadBalancerIngress> ingress = List.of();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            if (!key.equals("ingress")) {
                throw NOT_MINE;
            }
            seen = once(seen, 0);
            ingress = list(this::loadBalancerIngress);
        }
        loadBalancer.setIngress(ingress);
        loadBalancer.setAdditionalProperties(Map.of());
        return loadBalancer;
    }

    private LoadBalancerIngress loadBalancerIngress() {
        LoadBalancerIngress ingress = new LoadBalancerIngress();
        List<PortStatus> ports = List.of();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "ip" -> {
                    seen = once(seen, 0);
                    ingress.setIp(string());
                }
                case "hostname" -> {
                    seen = once(seen, 1);
                    ingress.setHostname(string());
                }
                case "ipMode" -> {
                    seen = once(seen, 2);
                    ingress.setIpMode(string());
                }
                case "ports" -> {
                    seen = once(seen, 3);
                    ports = list(this::portStatus);
                }
                default -> throw NOT_MINE;
            }
        }
        ingress.setPorts(ports);
        ingress.setAdditionalProperties(Map.of());
        return ingress;
    }

    private PortStatus portStatus() {
        PortStatus status = new PortStatus();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "port" -> {
                    seen = once(seen, 0);
                    status.setPort(integer());
                }
                case "protocol" -> {
                    seen = once(seen, 1);
                    status.setProtocol(sharedText());
                }
                case "error" -> {
                    seen = once(seen, 2);
                    status.setError(string());
                }
                default -> throw NOT_MINE;
            }
        }
        status.setAdditionalProperties(Map.of());
        return status;
    }

    private EndpointPort endpointPort() {
        EndpointPort port = new EndpointPort();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "name" -> {
                    seen = once(seen, 0);
                    port.setName(string());
                }
                case "port" -> {
                    seen = once(seen, 1);
                    port.setPort(integer());
                }
                case "protocol" -> {
                    seen = once(seen, 2);
                    port.setProtocol(sharedText());
                }
                case "appProtocol" -> {
                    seen = once(seen, 3);
                    port.setAppProtocol(sharedText());
                }
                default -> throw NOT_MINE;
            }
        }
        port.setAdditionalProperties(Map.of());
        return sharedLeafOf(port);
    }

    /**
     * A slice's endpoints: null, with the endpoints in {@link #packedEndpoints}, when there are some and every one has
     * the packed shape ({@link PackedEndpointSlice}); else fabric8's, as an immutable list.
     */
    private List<Endpoint> endpointList() {
        startSequence();
        scratch = SCRATCH.get();
        PackedEndpointSlice.Packer packer = scratch.packer;
        packer.reset();
        List<Endpoint> endpoints = null; // once one endpoint is not of the packed shape
        for (int type; (type = events.next()) != SEQUENCE_END; ) {
            if (type != MAPPING_START || events.decorated()) {
                throw NOT_MINE;
            }
            Endpoint endpoint = endpoint(endpoints == null ? packer : null);
            if (endpoint != null) {
                if (endpoints == null) {
                    endpoints = new ArrayList<>(packer.endpoints());
                }
                endpoints.add(endpoint);
            }
        }
        if (endpoints != null) {
            return List.copyOf(endpoints);
        }
        if (packer.count() == 0) {
            return List.of();
        }
        packedEndpoints = packer;
        return null;
    }

    /** The next endpoint; null when it has the packed shape and {@code packer} (if not null) took it. */
    private Endpoint endpoint(PackedEndpointSlice.Packer packer) {
        List<String> addresses = List.of();
        boolean oneAddress = false; // the one address is in scratch.address, not yet a String
        EndpointConditions conditions = null;
        String nodeName = null;
        String zone = null;
        String hostname = null;
        EndpointHints hints = null;
        boolean hasTargetRef = false; // read into the ref fields
        Map<String, String> topology = Map.of();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "addresses" -> {
                    seen = once(seen, 0);
                    addresses = packer != null ? addressesOrOne() : stringList();
                    oneAddress = addresses == null;
                }
                case "conditions" -> {
                    seen = once(seen, 1);
                    conditions = endpointConditions();
                }
                case "nodeName" -> {
                    seen = once(seen, 2);
                    nodeName = sharedText();
                }
                case "zone" -> {
                    seen = once(seen, 3);
                    zone = sharedText();
                }
                case "hostname" -> {
                    seen = once(seen, 4);
                    hostname = string();
                }
                case "hints" -> {
                    seen = once(seen, 5);
                    hints = endpointHints();
                }
                case "targetRef" -> {
                    seen = once(seen, 6);
                    readTargetRef();
                    hasTargetRef = true;
                }
                case "deprecatedTopology" -> {
                    seen = once(seen, 7);
                    topology = stringMap();
                }
                default -> throw NOT_MINE;
            }
        }
        if (packer != null && (oneAddress || addresses.size() == 1) && hostname == null && hints == null
                && topology.isEmpty()) {
            CharSequence one = oneAddress ? scratch.address : addresses.getFirst();
            boolean packed = hasTargetRef
                    ? podShaped() && packer.add(one, conditions, nodeName, zone, refNamespace, refName, refUid)
                    : packer.add(one, conditions, nodeName, zone, null, null, null);
            if (packed) {
                return null;
            }
        }
        if (oneAddress) {
            addresses = List.of(scratch.address.toString());
        }
        ObjectReference targetRef = hasTargetRef ? targetRefObject() : null;
        Endpoint endpoint = new Endpoint(addresses, conditions, topology, hints, hostname, nodeName, targetRef, zone);
        endpoint.setAdditionalProperties(Map.of());
        return endpoint;
    }

    /**
     * An endpoint's addresses: null when there is one, of text other than a plain scalar, copied into
     * {@link Scratch#address} (the packer takes it apart without a String); else as {@link #stringList}.
     */
    private List<String> addressesOrOne() {
        startSequence();
        int type = events.next();
        if (type == SEQUENCE_END) {
            return List.of();
        }
        if (type != SCALAR || events.decorated()) {
            throw NOT_MINE;
        }
        if (events.scalarStyle() == PLAIN) {
            String first = currentString();
            if (first == null) {
                throw NOT_MINE; // as stringList
            }
            return restOfStringList(first);
        }
        char[] chars = events.scalarChars();
        scratch.address.copy(chars, events.scalarOffset(), events.scalarLength());
        int next = events.next();
        if (next == SEQUENCE_END) {
            return null;
        }
        // Two or more: the usual list, the first made a String after all.
        ArrayList<String> values = new ArrayList<>();
        values.add(scratch.address.toString());
        for (; next != SEQUENCE_END; next = events.next()) {
            if (next != SCALAR || events.decorated()) {
                throw NOT_MINE;
            }
            String value = currentString();
            if (value == null) {
                throw NOT_MINE;
            }
            values.add(value);
        }
        return List.copyOf(values);
    }

    /** {@link #CONDITIONS}' index of a combination: 1 + 9 * ready + 3 * serving + terminating, each 0 null, 1 true, 2 false. */
    private static int conditionsCode(Boolean ready, Boolean serving, Boolean terminating) {
        return 1 + 9 * part(ready) + 3 * part(serving) + part(terminating);
    }

    private static int part(Boolean condition) {
        return condition == null ? 0 : condition ? 1 : 2;
    }

    /** An endpoint's conditions: the shared instance of their combination, made once. */
    private EndpointConditions endpointConditions() {
        startMapping();
        Boolean ready = null;
        Boolean serving = null;
        Boolean terminating = null;
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "ready" -> {
                    seen = once(seen, 0);
                    ready = bool();
                }
                case "serving" -> {
                    seen = once(seen, 1);
                    serving = bool();
                }
                case "terminating" -> {
                    seen = once(seen, 2);
                    terminating = bool();
                }
                default -> throw NOT_MINE;
            }
        }
        int code = conditionsCode(ready, serving, terminating);
        EndpointConditions known = CONDITIONS.get(code);
        if (known == null) {
            EndpointConditions conditions = new EndpointConditions();
            conditions.setReady(ready);
            conditions.setServing(serving);
            conditions.setTerminating(terminating);
            conditions.setAdditionalProperties(Map.of());
            known = sharedLeafOf(conditions);
            CONDITIONS.compareAndSet(code, null, known);
        }
        return known;
    }

    private EndpointHints endpointHints() {
        startMapping();
        EndpointHints hints = new EndpointHints();
        List<ForZone> zones = List.of();
        List<ForNode> nodes = List.of();
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "forZones" -> {
                    seen = once(seen, 0);
                    zones = list(() -> {
                        ForZone zone = new ForZone(onlyName());
                        zone.setAdditionalProperties(Map.of());
                        return zone;
                    });
                }
                case "forNodes" -> {
                    seen = once(seen, 1);
                    nodes = list(() -> {
                        ForNode node = new ForNode(onlyName());
                        node.setAdditionalProperties(Map.of());
                        return node;
                    });
                }
                default -> throw NOT_MINE;
            }
        }
        hints.setForZones(zones);
        hints.setForNodes(nodes);
        hints.setAdditionalProperties(Map.of());
        return hints;
    }

    /** The {@code name} of a mapping that may hold only that (a zone or node hint). */
    private String onlyName() {
        String name = null;
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            if (!key.equals("name")) {
                throw NOT_MINE;
            }
            seen = once(seen, 0);
            name = string();
        }
        return name;
    }

    /**
     * Reads an endpoint's targetRef into the ref fields instead of an object: its name and uid as text when they are
     * not plain scalars, for the packer to take apart ({@link #targetRefObject} makes the object when the endpoint is
     * not packed).
     */
    private void readTargetRef() {
        startMapping();
        refKind = null;
        refNamespace = null;
        refApiVersion = null;
        refResourceVersion = null;
        refFieldPath = null;
        refName = null;
        refUid = null;
        int seen = 0;
        for (String key; (key = key()) != null; ) {
            switch (key) {
                case "kind" -> {
                    seen = once(seen, 0);
                    refKind = sharedText();
                }
                case "name" -> {
                    seen = once(seen, 1);
                    refName = textInto(scratch.podName);
                }
                case "namespace" -> {
                    seen = once(seen, 2);
                    refNamespace = sharedText();
                }
                case "uid" -> {
                    seen = once(seen, 3);
                    refUid = textInto(scratch.podUid);
                }
                case "apiVersion" -> {
                    seen = once(seen, 4);
                    refApiVersion = sharedText();
                }
                case "resourceVersion" -> {
                    seen = once(seen, 5);
                    refResourceVersion = string();
                }
                case "fieldPath" -> {
                    seen = once(seen, 6);
                    refFieldPath = string();
                }
                default -> throw NOT_MINE;
            }
        }
    }

    /** Whether the targetRef {@link #readTargetRef} read may be packed: a Pod's, with nothing but namespace, name and uid. */
    private boolean podShaped() {
        return "Pod".equals(refKind) && refNamespace != null && refApiVersion == null && refResourceVersion == null
                && refFieldPath == null;
    }

    /** The targetRef {@link #readTargetRef} read, as fabric8's object: what the compactor leaves of fabric8's parse. */
    private ObjectReference targetRefObject() {
        ObjectReference ref = new ObjectReference();
        ref.setKind(refKind);
        ref.setName(refName == null ? null : refName.toString());
        ref.setNamespace(refNamespace);
        ref.setUid(refUid == null ? null : refUid.toString());
        ref.setApiVersion(refApiVersion);
        ref.setResourceVersion(refResourceVersion);
        ref.setFieldPath(refFieldPath);
        ref.setAdditionalProperties(Map.of());
        return ref;
    }

    // ---- events ------------------------------------------------------------------------------------------------

    private static int once(int seen, int bit) {
        if ((seen & 1 << bit) != 0) {
            throw NOT_MINE; // a duplicate key
        }
        return seen | 1 << bit;
    }

    private void expect(int type) {
        if (events.next() != type) {
            throw NOT_MINE;
        }
    }

    private void startMapping() {
        if (events.next() != MAPPING_START || events.decorated()) {
            throw NOT_MINE;
        }
    }

    private void startSequence() {
        if (events.next() != SEQUENCE_START || events.decorated()) {
            throw NOT_MINE;
        }
    }

    /** The next key of the mapping being read, or null at its end. */
    private String key() {
        int type = events.next();
        if (type == MAPPING_END) {
            return null;
        }
        if (type != SCALAR || events.decorated()) {
            throw NOT_MINE;
        }
        String key = events.scalar();
        if (events.scalarStyle() == PLAIN && LibYamlParser.JsonTypesSchema.typeOf(key) != Tag.STR) {
            throw NOT_MINE;
        }
        return key;
    }

    /** The text of the next event, which must be a scalar without anchor or tag. */
    private String nextScalar() {
        if (events.next() != SCALAR || events.decorated()) {
            throw NOT_MINE;
        }
        return events.scalar();
    }

    /** A string field's value: a quoted scalar or a plain one the JSON schema types as a string; null for null. */
    private String string() {
        if (events.next() != SCALAR || events.decorated()) {
            throw NOT_MINE;
        }
        return currentString();
    }

    private String currentString() {
        String text = events.scalar();
        if (events.scalarStyle() != PLAIN) {
            return text;
        }
        Tag type = LibYamlParser.JsonTypesSchema.typeOf(text);
        if (type == Tag.STR) {
            return text;
        }
        if (type == Tag.NULL) {
            return null;
        }
        throw NOT_MINE;
    }

    /** A string field's value as {@link ModelCompactor#sharedString} shares it; null for null. */
    private String sharedText() {
        if (events.next() != SCALAR || events.decorated()) {
            throw NOT_MINE;
        }
        if (events.scalarStyle() == PLAIN) {
            return sharedString(currentString());
        }
        char[] chars = events.scalarChars();
        return ModelCompactor.sharedString(chars, events.scalarOffset(), events.scalarLength());
    }

    private String requiredSharedText() {
        String text = sharedText();
        if (text == null) {
            throw NOT_MINE;
        }
        return text;
    }

    /**
     * A string field's value as {@link #string} reads it, but copied into {@code into} when it is not a plain scalar
     * (no String made); null for null.
     */
    private CharSequence textInto(Chars into) {
        if (events.next() != SCALAR || events.decorated()) {
            throw NOT_MINE;
        }
        if (events.scalarStyle() == PLAIN) {
            return currentString();
        }
        char[] chars = events.scalarChars();
        into.copy(chars, events.scalarOffset(), events.scalarLength());
        return into;
    }

    /** A plain non-negative integer of at most {@code digits} digits as text, or null for null. */
    private String digits(int digits) {
        String text = nextScalar();
        if (events.scalarStyle() != PLAIN) {
            throw NOT_MINE;
        }
        Tag type = LibYamlParser.JsonTypesSchema.typeOf(text);
        if (type == Tag.NULL) {
            return null;
        }
        if (type != Tag.INT || text.charAt(0) == '-' || text.length() > digits) {
            throw NOT_MINE;
        }
        return text;
    }

    private Integer integer() {
        String text = digits(BIG_INT_DIGITS);
        return text == null ? null : Integer.valueOf(text);
    }

    private Long longValue() {
        String text = digits(BIG_LONG_DIGITS);
        return text == null ? null : Long.valueOf(text);
    }

    private Boolean bool() {
        String text = nextScalar();
        if (events.scalarStyle() != PLAIN) {
            throw NOT_MINE;
        }
        Tag type = LibYamlParser.JsonTypesSchema.typeOf(text);
        if (type == Tag.NULL) {
            return null;
        }
        if (type != Tag.BOOL) {
            throw NOT_MINE;
        }
        return text.equals("true") ? Boolean.TRUE : Boolean.FALSE;
    }

    /** A port number (a plain integer) or name (a string), as fabric8's {@code IntOrString} creator takes them. */
    private IntOrString intOrString() {
        String text = nextScalar();
        if (events.scalarStyle() != PLAIN) {
            return new IntOrString(text);
        }
        Tag type = LibYamlParser.JsonTypesSchema.typeOf(text);
        if (type == Tag.STR) {
            return new IntOrString(text);
        }
        if (type != Tag.INT || text.charAt(0) == '-' || text.length() > BIG_INT_DIGITS) {
            throw NOT_MINE;
        }
        return new IntOrString(Integer.valueOf(text));
    }

    private List<String> stringList() {
        startSequence();
        return restOfStringList(null);
    }

    /**
     * The rest of a sequence of strings, as an immutable list after {@code first}, its first element read already
     * (null when none was).
     */
    private List<String> restOfStringList(String first) {
        ArrayList<String> values = null;
        for (int type; (type = events.next()) != SEQUENCE_END; ) {
            if (type != SCALAR || events.decorated()) {
                throw NOT_MINE;
            }
            String value = currentString();
            if (value == null) {
                throw NOT_MINE; // List.of holds no null: the compactor would keep fabric8's list
            }
            if (first == null) {
                first = value;
            } else {
                if (values == null) {
                    values = new ArrayList<>();
                    values.add(first);
                }
                values.add(value);
            }
        }
        return first == null ? List.of() : values == null ? List.of(first) : List.copyOf(values);
    }

    /** A sequence of mappings, each read (after its start) by {@code element}, as an immutable list. */
    private <T> List<T> list(Supplier<T> element) {
        startSequence();
        ArrayList<T> values = null;
        T first = null;
        for (int type; (type = events.next()) != SEQUENCE_END; ) {
            if (type != MAPPING_START || events.decorated()) {
                throw NOT_MINE;
            }
            T value = element.get();
            if (first == null) {
                first = value;
            } else {
                if (values == null) {
                    values = new ArrayList<>();
                    values.add(first);
                }
                values.add(value);
            }
        }
        return first == null ? List.of() : values == null ? List.of(first) : List.copyOf(values);
    }

    /** A map of strings to strings, compact: {@code Map.of()}, {@code Map.of(shared key, value)}, or in order. */
    private Map<String, String> stringMap() {
        startMapping();
        String firstKey = null;
        String firstValue = null;
        LinkedHashMap<String, String> more = null;
        for (String key; (key = key()) != null; ) {
            String value = string();
            if (value == null) {
                throw NOT_MINE;
            }
            if (firstKey == null) {
                firstKey = key;
                firstValue = value;
            } else {
                if (more == null) {
                    more = new LinkedHashMap<>();
                    more.put(firstKey, firstValue);
                }
                if (more.put(key, value) != null) {
                    throw NOT_MINE;
                }
            }
        }
        return firstKey == null ? Map.of() : more == null ? Map.of(sharedString(firstKey), firstValue) : more;
    }
}
