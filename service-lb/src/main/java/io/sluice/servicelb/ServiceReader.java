package io.sluice.servicelb;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.sluice.servicelb.ParsedService.ParsedPort;
import io.sluice.servicelb.ParsedService.SourcedIp;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Validates a fabric8 {@link Service} into a {@link ParsedService}. A problem that concerns the whole Service
 * (metadata, type, affinity, traffic policy, algorithm, no usable cluster IP) refuses it; a problem in one list
 * entry (a cluster IP, a port, an external IP, an ingress) refuses that entry only.
 */
final class ServiceReader {

    static final String TYPE_CLUSTER_IP = "ClusterIP";
    static final String TYPE_NODE_PORT = "NodePort";
    static final String TYPE_LOAD_BALANCER = "LoadBalancer";
    static final String TYPE_EXTERNAL_NAME = "ExternalName";
    static final String CLUSTER_IP_NONE = "None";

    // Read for every Service: shared rather than an Optional per read.
    private static final Optional<Boolean> POLICY_CLUSTER = Optional.of(false);
    private static final Optional<Boolean> POLICY_LOCAL = Optional.of(true);
    private static final Optional<SessionAffinity> AFFINITY_NONE = Optional.of(SessionAffinity.NONE);

    private ServiceReader() {
    }

    /**
     * @return the parsed Service, or empty if it produces nothing (headless, ExternalName) or was refused
     */
    static Optional<ParsedService> read(Service service, Refusals refusals) {
        ObjectMeta meta = service.getMetadata();
        String namespace = meta == null ? null : meta.getNamespace();
        String name = meta == null ? null : meta.getName();
        ObjectRef ref = new ObjectRef(ObjectRef.SERVICE, namespace, name);
        if (namespace == null || namespace.isEmpty()) {
            refusals.add(ref, "metadata.namespace", RefusalReason.INVALID_OBJECT, "no namespace; Service ignored");
            return Optional.empty();
        }
        if (name == null || name.isEmpty()) {
            refusals.add(ref, "metadata.name", RefusalReason.INVALID_OBJECT, "no name; Service ignored");
            return Optional.empty();
        }
        ServiceSpec spec = service.getSpec();
        if (spec == null) {
            refusals.add(ref, "spec", RefusalReason.INVALID_OBJECT, "no spec; Service ignored");
            return Optional.empty();
        }
        String type = spec.getType() == null || spec.getType().isEmpty() ? TYPE_CLUSTER_IP : spec.getType();
        if (type.equals(TYPE_EXTERNAL_NAME)) {
            return Optional.empty();
        }
        if (!type.equals(TYPE_CLUSTER_IP) && !type.equals(TYPE_NODE_PORT) && !type.equals(TYPE_LOAD_BALANCER)) {
            refusals.add(ref, "spec.type", RefusalReason.INVALID_SERVICE_TYPE, "'" + type
                    + "' is not a Service type (ClusterIP, NodePort, LoadBalancer, ExternalName); Service ignored");
            return Optional.empty();
        }

        Map<String, String> annotations = meta.getAnnotations();
        String algorithmValue = annotations == null ? null : annotations.get(LbAlgorithm.ANNOTATION);
        Optional<LbAlgorithm> algorithm = LbAlgorithm.fromAnnotation(algorithmValue);
        if (algorithm.isEmpty()) {
            refusals.add(ref, "metadata.annotations[" + LbAlgorithm.ANNOTATION + "]",
                    RefusalReason.UNKNOWN_LB_ALGORITHM, "'" + algorithmValue + "' is not a value of annotation "
                            + LbAlgorithm.ANNOTATION + " (random, maglev); Service ignored");
            return Optional.empty();
        }

        Optional<SessionAffinity> affinity = readAffinity(spec, ref, refusals);
        if (affinity.isEmpty()) {
            return Optional.empty();
        }
        Optional<Boolean> externalPolicyLocal = readPolicy(spec.getExternalTrafficPolicy(),
                "spec.externalTrafficPolicy", ref, refusals);
        Optional<Boolean> internalPolicyLocal = readPolicy(spec.getInternalTrafficPolicy(),
                "spec.internalTrafficPolicy", ref, refusals);
        if (externalPolicyLocal.isEmpty() || internalPolicyLocal.isEmpty()) {
            return Optional.empty();
        }

        List<String> clusterIpTexts;
        String clusterIpField;
        if (spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
            clusterIpTexts = spec.getClusterIPs();
            clusterIpField = "spec.clusterIPs";
        } else if (spec.getClusterIP() != null && !spec.getClusterIP().isEmpty()) {
            clusterIpTexts = List.of(spec.getClusterIP());
            clusterIpField = "spec.clusterIP";
        } else {
            refusals.add(ref, "spec.clusterIP", RefusalReason.MISSING_CLUSTER_IP,
                    "no cluster IP allocated (use clusterIP: None for a headless Service); Service ignored");
            return Optional.empty();
        }
        if (CLUSTER_IP_NONE.equals(clusterIpTexts.getFirst())) {
            return Optional.empty();
        }
        List<SourcedIp> clusterIps = readClusterIps(clusterIpTexts, clusterIpField, ref, refusals);
        if (clusterIps.isEmpty()) {
            return Optional.empty();
        }

        List<String> externalIpTexts = spec.getExternalIPs() == null ? List.of() : spec.getExternalIPs();
        List<SourcedIp> externalIps = new ArrayList<>();
        for (int i = 0; i < externalIpTexts.size(); i++) {
            parseIp(externalIpTexts.get(i), "spec.externalIPs[" + i + "]", "external IP left out", ref, refusals)
                    .ifPresent(externalIps::add);
        }
        boolean externallyReachable = type.equals(TYPE_NODE_PORT) || type.equals(TYPE_LOAD_BALANCER)
                || !externalIpTexts.isEmpty();

        return Optional.of(new ParsedService(
                new ServiceKey(namespace, name),
                ref,
                clusterIps,
                readPorts(spec, ref, refusals),
                externalIps,
                readLoadBalancerIps(service.getStatus(), ref, refusals),
                affinity.get(),
                algorithm.get(),
                internalPolicyLocal.get(),
                externalPolicyLocal.get() && externallyReachable));
    }

    private static Optional<SessionAffinity> readAffinity(ServiceSpec spec, ObjectRef ref, Refusals refusals) {
        String value = spec.getSessionAffinity();
        if (value == null || value.isEmpty() || value.equals("None")) {
            return AFFINITY_NONE;
        }
        if (!value.equals("ClientIP")) {
            refusals.add(ref, "spec.sessionAffinity", RefusalReason.INVALID_SESSION_AFFINITY,
                    "'" + value + "' is not a session affinity (None, ClientIP); Service ignored");
            return Optional.empty();
        }
        SessionAffinityConfig config = spec.getSessionAffinityConfig();
        Integer timeout = config == null || config.getClientIP() == null
                ? null : config.getClientIP().getTimeoutSeconds();
        if (timeout == null) {
            return Optional.of(SessionAffinity.clientIp(SessionAffinity.DEFAULT_TIMEOUT_SECONDS));
        }
        if (timeout < 1 || timeout > SessionAffinity.MAX_TIMEOUT_SECONDS) {
            refusals.add(ref, "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                    RefusalReason.INVALID_SESSION_AFFINITY, timeout + " is out of range 1.."
                            + SessionAffinity.MAX_TIMEOUT_SECONDS + "; Service ignored");
            return Optional.empty();
        }
        return Optional.of(SessionAffinity.clientIp(timeout));
    }

    /** @return whether the policy is Local, or empty if refused */
    private static Optional<Boolean> readPolicy(String value, String field, ObjectRef ref, Refusals refusals) {
        if (value == null || value.isEmpty() || value.equals("Cluster")) {
            return POLICY_CLUSTER;
        }
        if (value.equals("Local")) {
            return POLICY_LOCAL;
        }
        refusals.add(ref, field, RefusalReason.INVALID_TRAFFIC_POLICY,
                "'" + value + "' is not a traffic policy (Cluster, Local); Service ignored");
        return Optional.empty();
    }

    private static List<SourcedIp> readClusterIps(List<String> texts, String field, ObjectRef ref,
                                                  Refusals refusals) {
        List<SourcedIp> result = new ArrayList<>();
        Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
        for (int i = 0; i < texts.size(); i++) {
            String entryField = field.equals("spec.clusterIP") ? field : field + "[" + i + "]";
            Optional<SourcedIp> ip = parseIp(texts.get(i), entryField, "its frontends are left out", ref, refusals);
            if (ip.isEmpty()) {
                continue;
            }
            if (!families.add(ip.get().ip().family())) {
                refusals.add(ref, entryField, RefusalReason.IP_FAMILY_CONFLICT, "second " + ip.get().ip().family()
                        + " cluster IP " + ip.get().ip() + "; a Service has at most one per family; left out");
                continue;
            }
            result.add(ip.get());
        }
        return result;
    }

    private static List<SourcedIp> readLoadBalancerIps(ServiceStatus status, ObjectRef ref, Refusals refusals) {
        LoadBalancerStatus loadBalancer = status == null ? null : status.getLoadBalancer();
        List<LoadBalancerIngress> ingresses = loadBalancer == null || loadBalancer.getIngress() == null
                ? List.of() : loadBalancer.getIngress();
        List<SourcedIp> result = new ArrayList<>();
        for (int i = 0; i < ingresses.size(); i++) {
            String field = "status.loadBalancer.ingress[" + i + "]";
            LoadBalancerIngress ingress = ingresses.get(i);
            if (ingress == null) {
                refusals.add(ref, field, RefusalReason.INVALID_OBJECT, "null entry; left out");
                continue;
            }
            if (ingress.getIp() == null || ingress.getIp().isEmpty()) {
                continue; // a host-name-only ingress: nothing for the data path to match
            }
            String ipMode = ingress.getIpMode();
            if (ipMode != null && ipMode.equals("Proxy")) {
                continue; // the load balancer proxies to node ports itself; packets never carry this IP
            }
            if (ipMode != null && !ipMode.equals("VIP")) {
                refusals.add(ref, field + ".ipMode", RefusalReason.INVALID_IP_MODE,
                        "'" + ipMode + "' is not an ipMode (VIP, Proxy); load-balancer IP left out");
                continue;
            }
            parseIp(ingress.getIp(), field + ".ip", "load-balancer IP left out", ref, refusals)
                    .ifPresent(result::add);
        }
        return result;
    }

    private static List<ParsedPort> readPorts(ServiceSpec spec, ObjectRef ref, Refusals refusals) {
        List<ServicePort> ports = spec.getPorts() == null ? List.of() : spec.getPorts();
        if (ports.isEmpty()) {
            refusals.add(ref, "spec.ports", RefusalReason.INVALID_PORT, "no ports; nothing to program");
        }
        List<ParsedPort> result = new ArrayList<>(ports.size());
        // The names and number/protocol pairs taken so far, searched entry by entry (a Service has a few ports), and
        // field names built only for a refusal: two hash sets and a few Strings a port were a twelfth of what the
        // writer allocated in the first sync.
        String[] names = new String[ports.size()];
        int nameCount = 0;
        int[] numbers = new int[ports.size()];
        int numberCount = 0;
        for (int i = 0; i < ports.size(); i++) {
            ServicePort port = ports.get(i);
            if (port == null) {
                refusals.add(ref, portField(i, ""), RefusalReason.INVALID_OBJECT, "null entry; left out");
                continue;
            }
            String name = port.getName() == null ? "" : port.getName();
            if (!name.isEmpty() && !KubernetesNames.isDnsLabel(name)) {
                refusals.add(ref, portField(i, ".name"), RefusalReason.INVALID_PORT_NAME,
                        "'" + name + "' is not a port name (lower-case RFC 1123 label); port left out");
                continue;
            }
            if (indexOf(names, nameCount, name) >= 0) {
                refusals.add(ref, portField(i, ".name"), RefusalReason.DUPLICATE_PORT, name.isEmpty()
                        ? "more than one unnamed port; port left out"
                        : "port name '" + name + "' is used twice; port left out");
                continue;
            }
            names[nameCount++] = name;
            Integer number = port.getPort();
            if (number == null || !Ports.isValid(number)) {
                Ports.checkNumber(number, portField(i, ".port"), ref, refusals);
                continue;
            }
            Optional<L4Protocol> protocol = L4Protocol.fromKubernetes(port.getProtocol());
            if (protocol.isEmpty()) {
                Ports.readProtocol(port.getProtocol(), portField(i, ".protocol"), ref, refusals);
                continue;
            }
            if (!protocol.get().supportedByDataPath()) {
                refusals.add(ref, portField(i, ".protocol"), RefusalReason.UNSUPPORTED_PROTOCOL, protocol.get()
                        + " is not supported by the Sluice data path (only " + L4Protocol.DATA_PATH_PROTOCOLS
                        + "); port left out");
                continue;
            }
            int numberAndProtocol = number << 8 | protocol.get().ordinal();
            if (indexOf(numbers, numberCount, numberAndProtocol) >= 0) {
                refusals.add(ref, portField(i, ".port"), RefusalReason.DUPLICATE_PORT,
                        number + "/" + protocol.get() + " is used twice; port left out");
                continue;
            }
            numbers[numberCount++] = numberAndProtocol;
            if (!targetPortValid(port.getTargetPort(), i, ref, refusals)) {
                continue;
            }
            int nodePort = 0;
            Integer nodePortValue = port.getNodePort();
            if (nodePortValue != null && nodePortValue != 0) {
                if (Ports.isValid(nodePortValue)) {
                    nodePort = nodePortValue;
                } else {
                    refusals.add(ref, portField(i, ".nodePort"), RefusalReason.INVALID_PORT, nodePortValue
                            + " is not a port number (1..65535); the port's node-port frontends are left out");
                }
            }
            result.add(new ParsedPort(i, name, number, protocol.get(), nodePort));
        }
        return result;
    }

    private static String portField(int index, String suffix) {
        return "spec.ports[" + index + "]" + suffix;
    }

    private static int indexOf(String[] values, int count, String value) {
        for (int i = 0; i < count; i++) {
            if (values[i].equals(value)) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(int[] values, int count, int value) {
        for (int i = 0; i < count; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The target port is resolved by the EndpointSlice controller into each slice's port number, so the
     * translation never reads it; it is still checked, because manifests read from a directory never passed
     * the API server's validation.
     */
    private static boolean targetPortValid(IntOrString targetPort, int portIndex, ObjectRef ref, Refusals refusals) {
        if (targetPort == null) {
            return true;
        }
        if (targetPort.getIntVal() != null) {
            return Ports.isValid(targetPort.getIntVal())
                    || Ports.checkNumber(targetPort.getIntVal(), portField(portIndex, ".targetPort"), ref, refusals);
        }
        String name = targetPort.getStrVal();
        if (name == null || KubernetesNames.isIanaServiceName(name)) {
            return true;
        }
        refusals.add(ref, portField(portIndex, ".targetPort"), RefusalReason.INVALID_PORT_NAME,
                "'" + name + "' is neither a port number nor a port name (IANA service name); port left out");
        return false;
    }

    private static Optional<SourcedIp> parseIp(String text, String field, String consequence, ObjectRef ref,
                                               Refusals refusals) {
        try {
            return Optional.of(new SourcedIp(IpAddress.parse(text), field));
        } catch (IllegalArgumentException e) {
            refusals.add(ref, field, RefusalReason.INVALID_IP, e.getMessage() + "; " + consequence);
            return Optional.empty();
        }
    }
}
