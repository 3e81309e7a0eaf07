package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.servicelb.ParsedSlice.SliceEndpoint;
import io.sluice.servicelb.ParsedSlice.SlicePort;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Validates a fabric8 {@link EndpointSlice} into a {@link ParsedSlice}. A bad port or endpoint refuses that entry
 * only; a slice that belongs to another Service, or whose address type is unknown, is refused whole. FQDN slices
 * are skipped without a refusal, as kube-proxy does: they are valid, just not for a proxy.
 */
final class EndpointSliceReader {

    /** The label that ties an EndpointSlice to its Service. */
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    static final String SERVICE_NAME_LABEL_FIELD = "metadata.labels[" + SERVICE_NAME_LABEL + "]";
    private static final String ADDRESS_TYPE_FQDN = "FQDN";

    private EndpointSliceReader() {
    }

    /** The namespace and name of the Service a slice's label names, or empty if it names none. */
    static Optional<ServiceKey> serviceOf(EndpointSlice slice) {
        ObjectMeta meta = slice.getMetadata();
        if (meta == null || meta.getNamespace() == null || meta.getNamespace().isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> labels = meta.getLabels();
        String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        return service == null || service.isEmpty()
                ? Optional.empty() : Optional.of(new ServiceKey(meta.getNamespace(), service));
    }

    static ObjectRef refOf(EndpointSlice slice) {
        ObjectMeta meta = slice.getMetadata();
        return new ObjectRef(ObjectRef.ENDPOINT_SLICE, meta == null ? null : meta.getNamespace(),
                meta == null ? null : meta.getName());
    }

    /**
     * @param service the Service the slice is expected to belong to
     * @return the parsed slice, or empty if it was refused or is an FQDN slice
     */
    static Optional<ParsedSlice> read(EndpointSlice slice, ServiceKey service, Refusals refusals) {
        ObjectRef ref = refOf(slice);
        if (ref.name().isEmpty()) {
            refusals.add(ref, "metadata.name", RefusalReason.INVALID_OBJECT, "no name; EndpointSlice ignored");
            return Optional.empty();
        }
        Optional<ServiceKey> owner = serviceOf(slice);
        if (owner.isEmpty() || !owner.get().equals(service)) {
            refusals.add(ref, SERVICE_NAME_LABEL_FIELD, RefusalReason.SLICE_SERVICE_MISMATCH,
                    "the slice names " + owner.map(ServiceKey::toString).orElse("no Service")
                            + ", not Service " + service + "; EndpointSlice ignored");
            return Optional.empty();
        }
        String addressType = slice.getAddressType();
        if (ADDRESS_TYPE_FQDN.equals(addressType)) {
            return Optional.empty();
        }
        Optional<IpFamily> family = IpFamily.fromKubernetesName(addressType);
        if (family.isEmpty()) {
            refusals.add(ref, "addressType", RefusalReason.INVALID_ADDRESS_TYPE,
                    "'" + addressType + "' is not an address type (IPv4, IPv6, FQDN); EndpointSlice ignored");
            return Optional.empty();
        }
        return Optional.of(new ParsedSlice(ref.name(), family.get(), readPorts(slice, ref, refusals),
                readEndpoints(slice, family.get(), ref, refusals)));
    }

    private static List<SlicePort> readPorts(EndpointSlice slice, ObjectRef ref, Refusals refusals) {
        List<EndpointPort> ports = slice.getPorts() == null ? List.of() : slice.getPorts();
        List<SlicePort> result = new ArrayList<>();
        for (int j = 0; j < ports.size(); j++) {
            EndpointPort port = ports.get(j);
            if (port == null) {
                refusals.add(ref, portField(j), RefusalReason.INVALID_OBJECT, "null entry; left out");
                continue;
            }
            // An absent name is read as the empty name of a single unnamed Service port (hand-written slices
            // omit it); kube-proxy skips such a port instead.
            String name = port.getName() == null ? "" : port.getName();
            Integer number = port.getPort();
            if (number == null) {
                refusals.add(ref, portField(j) + ".port", RefusalReason.INVALID_PORT,
                        "unset (meaning all ports), which a proxy cannot use; port left out");
                continue;
            }
            if (!Ports.isValid(number)) {
                Ports.checkNumber(number, portField(j) + ".port", ref, refusals);
                continue;
            }
            Optional<L4Protocol> protocol = L4Protocol.fromKubernetes(port.getProtocol());
            if (protocol.isEmpty()) {
                Ports.readProtocol(port.getProtocol(), portField(j) + ".protocol", ref, refusals);
                continue;
            }
            if (contains(result, name, protocol.get())) {
                refusals.add(ref, portField(j) + ".name", RefusalReason.DUPLICATE_PORT,
                        "port '" + name + "'/" + protocol.get() + " appears twice; port left out");
                continue;
            }
            result.add(new SlicePort(name, protocol.get(), number));
        }
        return result;
    }

    /** Whether a port already read serves {@code name} over {@code protocol} (a slice has at most 100 ports). */
    private static boolean contains(List<SlicePort> ports, String name, L4Protocol protocol) {
        for (SlicePort port : ports) {
            if (port.protocol() == protocol && port.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    // Field paths are built only for a refusal: the happy path reads every endpoint of every slice on a sync.
    private static String portField(int j) {
        return "ports[" + j + "]";
    }

    private static String endpointField(int k) {
        return "endpoints[" + k + "]";
    }

    private static List<SliceEndpoint> readEndpoints(EndpointSlice slice, IpFamily family, ObjectRef ref,
                                                     Refusals refusals) {
        if (slice instanceof PackedEndpointSlice packed && packed.isPacked() && family == IpFamily.IPV4) {
            return readPacked(packed);
        }
        List<Endpoint> endpoints = slice.getEndpoints() == null ? List.of() : slice.getEndpoints();
        List<SliceEndpoint> result = new ArrayList<>();
        for (int k = 0; k < endpoints.size(); k++) {
            Endpoint endpoint = endpoints.get(k);
            if (endpoint == null) {
                refusals.add(ref, endpointField(k), RefusalReason.INVALID_OBJECT, "null entry; endpoint left out");
                continue;
            }
            List<String> addresses = endpoint.getAddresses();
            if (addresses == null || addresses.isEmpty()) {
                refusals.add(ref, endpointField(k) + ".addresses", RefusalReason.MISSING_ADDRESS,
                        "no address; endpoint left out");
                continue;
            }
            // The API defines the first address as the endpoint's; the others are ignored by every consumer.
            IpAddress address;
            try {
                address = IpAddress.parse(addresses.getFirst());
            } catch (IllegalArgumentException e) {
                refusals.add(ref, endpointField(k) + ".addresses[0]", RefusalReason.INVALID_IP,
                        e.getMessage() + "; endpoint left out");
                continue;
            }
            if (address.family() != family) {
                refusals.add(ref, endpointField(k) + ".addresses[0]", RefusalReason.IP_FAMILY_CONFLICT, address + " is "
                        + address.family() + " in an " + family + " slice; endpoint left out");
                continue;
            }
            EndpointConditions conditions = endpoint.getConditions();
            // The API's defaults for absent conditions: ready and serving unless said otherwise, not terminating.
            boolean ready = conditions == null || conditions.getReady() == null || conditions.getReady();
            boolean serving = conditions == null || conditions.getServing() == null || conditions.getServing();
            boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
            result.add(new SliceEndpoint(address,
                    endpoint.getNodeName() == null ? "" : endpoint.getNodeName(),
                    endpoint.getZone() == null ? "" : endpoint.getZone(),
                    ready, serving, terminating));
        }
        return result;
    }

    /** The endpoints of a packed slice: all valid (packing took valid IPv4 addresses only), no string parsed. */
    private static List<SliceEndpoint> readPacked(PackedEndpointSlice slice) {
        SliceEndpoint[] result = new SliceEndpoint[slice.endpointCount()];
        for (int k = 0; k < result.length; k++) {
            int conditions = slice.conditions(k);
            String nodeName = slice.nodeName(k);
            String zone = slice.zone(k);
            result[k] = new SliceEndpoint(IpAddress.ipv4(slice.address(k)), nodeName == null ? "" : nodeName,
                    zone == null ? "" : zone, PackedEndpointSlice.ready(conditions),
                    PackedEndpointSlice.serving(conditions), PackedEndpointSlice.terminating(conditions));
        }
        return Arrays.asList(result);
    }
}
