package io.sluice.lab;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Turns a {@link ManifestSet} and a node count into a {@link LabPlan}, playing the parts of the API server
 * (defaults, cluster IPs, node ports, uids, the {@code kubernetes.io/metadata.name} namespace label), the scheduler
 * ({@code spec.nodeName}, else the node with the fewest pods), the pod network ({@code status.podIP}, else the next
 * free address of the node's pod CIDR) and the endpoint slice controller ({@link EndpointSliceDeriver}, unless the
 * manifests give a Service's slices). Decisions of an earlier plan ({@link Assignments}) are kept when still valid,
 * so a manifest change moves only what changed. Pure: no kernel, no files.
 */
public final class LabPlanner {
    public static final String LB_ALGORITHM_ANNOTATION = "sluice.io/lb-algorithm";
    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern LAB_NAME = Pattern.compile("[a-z][a-z0-9-]{0,19}");
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    /** Longest network namespace name we make: a file name under /run/netns, with room to spare. */
    private static final int MAX_NETNS_NAME = 200;

    private final String labName;
    private final int nodeCount;
    private final List<LabNode> nodes = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    private LabPlanner(String labName, int nodeCount) {
        this.labName = labName;
        this.nodeCount = nodeCount;
    }

    /** Whether {@code name} can name a lab: lowercase letters, digits and dashes, starting with a letter, ≤ 20. */
    public static boolean validLabName(String name) {
        return LAB_NAME.matcher(name).matches();
    }

    /** The network namespace of the lab's shared segment (its bridge). */
    public static String fabricNamespace(String labName) {
        return labName + "-fabric";
    }

    /** The network namespace of node {@code node}. */
    public static String nodeNamespace(String labName, String node) {
        return labName + "-" + node;
    }

    /** The nodes of a lab of {@code count} nodes. */
    public static List<LabNode> nodes(String labName, int count) {
        List<LabNode> result = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String name = AddressPlan.nodeName(i);
            result.add(new LabNode(name, i, AddressPlan.nodeAddress(i), AddressPlan.podCidr(i),
                    AddressPlan.podGateway(i), nodeNamespace(labName, name)));
        }
        return result;
    }

    /**
     * Plans the lab.
     *
     * @throws LabInputException listing every object the lab refuses, each with its file and line, the object and the
     *                           field
     */
    public static LabPlan plan(String labName, ManifestSet manifests, int nodeCount, Assignments previous) {
        if (!validLabName(labName)) {
            throw new LabInputException("lab name \"" + labName + "\": use lowercase letters, digits and dashes, "
                    + "starting with a letter, at most 20 characters");
        }
        if (nodeCount < 1 || nodeCount > AddressPlan.MAX_NODES) {
            throw new LabInputException("--nodes " + nodeCount + ": a lab has 1 to " + AddressPlan.MAX_NODES + " nodes");
        }
        return new LabPlanner(labName, nodeCount).run(manifests, previous);
    }

    private LabPlan run(ManifestSet manifests, Assignments previous) {
        nodes.addAll(nodes(labName, nodeCount));
        warnings.addAll(manifests.ignored());

        Map<String, String> podNodes = new TreeMap<>();
        Map<String, String> podAddresses = new TreeMap<>();
        Map<String, String> podNamespaces = new TreeMap<>();
        Map<String, String> podInterfaces = new TreeMap<>();
        List<Pod> pods = planPods(manifests, previous, podNodes, podAddresses, podNamespaces, podInterfaces);
        List<LabPod> labPods = new ArrayList<>();
        for (Pod pod : pods) {
            String key = key(pod);
            labPods.add(new LabPod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), podNodes.get(key),
                    podAddresses.get(key), podNamespaces.get(key), podInterfaces.get(key), podPorts(pod, null)));
        }

        Map<String, String> clusterIPs = new TreeMap<>();
        Map<String, Integer> nodePorts = new TreeMap<>();
        List<Service> services = planServices(manifests, previous, clusterIPs, nodePorts);

        List<EndpointSlice> slices = planSlices(manifests, services, pods);
        Map<String, String> podByAddress = new HashMap<>();
        labPods.forEach(p -> podByAddress.put(p.address(), p.key()));
        List<LabService> labServices = new ArrayList<>();
        for (Service service : services) {
            labServices.add(labService(service, slices, podByAddress));
        }

        List<Namespace> namespaces = planNamespaces(manifests);
        List<NetworkPolicy> policies = new ArrayList<>();
        for (NetworkPolicy policy : sorted(manifests.networkPolicies())) {
            policies.add(SERIALIZATION.clone(policy));
        }

        if (!problems.isEmpty()) {
            throw new LabInputException(problems);
        }
        List<HasMetadata> objects = new ArrayList<>();
        objects.addAll(namespaces);
        nodes.forEach(n -> objects.add(nodeObject(n)));
        objects.addAll(pods);
        objects.addAll(services);
        objects.addAll(slices);
        objects.addAll(policies);
        Assignments assignments = new Assignments(podNodes, podAddresses, podNamespaces, podInterfaces, clusterIPs,
                nodePorts);
        return new LabPlan(nodes, labPods, labServices, objects, assignments, warnings);
    }

    // ---- pods ----------------------------------------------------------------------------------------------

    private List<Pod> planPods(ManifestSet manifests, Assignments previous, Map<String, String> podNodes,
                               Map<String, String> podAddresses, Map<String, String> podNamespaces,
                               Map<String, String> podInterfaces) {
        List<Pod> input = sorted(manifests.pods());
        Map<String, LabNode> nodesByName = new LinkedHashMap<>();
        nodes.forEach(n -> nodesByName.put(n.name(), n));
        Set<Integer> taken = new HashSet<>();
        List<Pod> valid = new ArrayList<>();
        Map<Pod, String> origin = new HashMap<>();

        // Pass 1: what the manifests say (nodeName, podIP), checked.
        for (Pod original : input) {
            String where = manifests.origin(original) + ": Pod " + key(original);
            int before = problems.size();
            Pod pod = SERIALIZATION.clone(original);
            origin.put(pod, where);
            if (pod.getSpec() == null) {
                problems.add(where + ": spec: missing");
                continue;
            }
            if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
                problems.add(where + ": spec.hostNetwork: the lab runs pods in their own network namespace only");
            }
            podPorts(pod, where);
            String node = pod.getSpec().getNodeName();
            if (node != null && !node.isBlank() && !nodesByName.containsKey(node)) {
                problems.add(where + ": spec.nodeName: \"" + node + "\" is not a node of this lab (lab-1 to lab-"
                        + nodeCount + "; use --nodes for more)");
            }
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            if (ip != null && !ip.isBlank()) {
                checkPodIp(where, ip, node, taken);
            }
            if (problems.size() == before) {
                valid.add(pod);
            }
        }
        // Pass 2: nodes and addresses: kept from the previous plan when still valid, else chosen.
        Map<String, Integer> podsPerNode = new HashMap<>();
        List<Pod> unplaced = new ArrayList<>();
        for (Pod pod : valid) {
            String key = key(pod);
            String node = blankToNull(pod.getSpec().getNodeName());
            String ip = pod.getStatus() == null ? null : blankToNull(pod.getStatus().getPodIP());
            if (node == null && ip != null) {
                node = AddressPlan.nodeName(AddressPlan.nodeOfPodAddress(Ipv4.parse(ip), nodeCount));
            }
            if (node == null) {
                String before = previous.podNodes().get(key);
                if (before != null && nodesByName.containsKey(before)) {
                    node = before;
                }
            }
            if (node == null) {
                unplaced.add(pod);
                continue;
            }
            podNodes.put(key, node);
            podsPerNode.merge(node, 1, Integer::sum);
        }
        for (Pod pod : unplaced) {
            LabNode least = nodes.stream()
                    .min(Comparator.comparingInt((LabNode n) -> podsPerNode.getOrDefault(n.name(), 0))
                            .thenComparingInt(LabNode::index))
                    .orElseThrow();
            podNodes.put(key(pod), least.name());
            podsPerNode.merge(least.name(), 1, Integer::sum);
        }
        // Addresses: given ones are taken (pass 1); previous ones on the same node next; then the lowest free.
        List<Pod> needAddress = new ArrayList<>();
        for (Pod pod : valid) {
            String key = key(pod);
            String ip = pod.getStatus() == null ? null : blankToNull(pod.getStatus().getPodIP());
            if (ip != null) {
                podAddresses.put(key, ip);
                continue;
            }
            String before = previous.podAddresses().get(key);
            LabNode node = nodesByName.get(podNodes.get(key));
            if (before != null && podAddressOnNode(before, node) && taken.add(Ipv4.parse(before))) {
                podAddresses.put(key, before);
            } else {
                needAddress.add(pod);
            }
        }
        for (Pod pod : needAddress) {
            LabNode node = nodesByName.get(podNodes.get(key(pod)));
            int network = AddressPlan.podNetwork(node.index());
            int chosen = 0;
            for (int host = AddressPlan.FIRST_POD_HOST; host <= AddressPlan.LAST_POD_HOST; host++) {
                if (taken.add(network + host)) {
                    chosen = network + host;
                    break;
                }
            }
            if (chosen == 0) {
                problems.add(origin.get(pod) + ": no free address left in " + node.name() + "'s pod CIDR "
                        + node.podCidr() + " (use more --nodes)");
                continue;
            }
            podAddresses.put(key(pod), Ipv4.format(chosen));
        }
        // Names of network namespaces and host-side veths: unique, stable.
        Set<String> netnsTaken = new HashSet<>();
        netnsTaken.add(fabricNamespace(labName));
        nodes.forEach(n -> netnsTaken.add(n.networkNamespace()));
        Set<String> interfacesTaken = new HashSet<>();
        for (Pod pod : valid) {
            String key = key(pod);
            String before = previous.podNamespaces().get(key);
            if (before != null && before.startsWith(labName + "-") && netnsTaken.add(before)) {
                podNamespaces.put(key, before);
            }
            String beforeIf = previous.podInterfaces().get(key);
            if (beforeIf != null && interfacesTaken.add(beforeIf)) {
                podInterfaces.put(key, beforeIf);
            }
        }
        for (Pod pod : valid) {
            String key = key(pod);
            podNamespaces.computeIfAbsent(key, k -> podNamespace(pod, netnsTaken));
            podInterfaces.computeIfAbsent(key, k -> hostInterface(k, interfacesTaken));
        }
        // Complete the objects as the API server and kubelet would report them.
        List<Pod> result = new ArrayList<>();
        for (Pod pod : valid) {
            String key = key(pod);
            if (!podAddresses.containsKey(key)) {
                continue;
            }
            LabNode node = nodesByName.get(podNodes.get(key));
            completePod(pod, node, podAddresses.get(key));
            result.add(pod);
        }
        return result;
    }

    private void checkPodIp(String where, String ip, String node, Set<Integer> taken) {
        int address;
        try {
            address = Ipv4.parse(ip);
        } catch (IllegalArgumentException e) {
            problems.add(where + ": status.podIP: " + e.getMessage());
            return;
        }
        int index = AddressPlan.nodeOfPodAddress(address, nodeCount);
        if (index == 0) {
            problems.add(where + ": status.podIP: " + ip + " is in no node's pod CIDR (lab-N has 198.19.N.0/24, "
                    + "N from 1 to " + nodeCount + "); leave it out and the lab assigns one");
            return;
        }
        int host = address & 0xff;
        if (host < AddressPlan.FIRST_POD_HOST || host > AddressPlan.LAST_POD_HOST) {
            problems.add(where + ": status.podIP: " + ip + " is reserved (pods use .2 to .254 of their node's /24)");
            return;
        }
        if (node != null && !node.isBlank() && !node.equals(AddressPlan.nodeName(index))) {
            problems.add(where + ": status.podIP: " + ip + " is in " + AddressPlan.nodeName(index)
                    + "'s pod CIDR but spec.nodeName is " + node);
            return;
        }
        if (!taken.add(address)) {
            problems.add(where + ": status.podIP: " + ip + " is already another pod's address");
        }
    }

    private static boolean podAddressOnNode(String address, LabNode node) {
        try {
            int a = Ipv4.parse(address);
            int host = a & 0xff;
            return Ipv4.contains(AddressPlan.podNetwork(node.index()), 24, a)
                    && host >= AddressPlan.FIRST_POD_HOST && host <= AddressPlan.LAST_POD_HOST;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The TCP and UDP ports the pod's containers declare, sorted and without duplicates; with {@code where}
     * non-null, bad ports are reported as problems and SCTP ones as warnings.
     */
    private List<PodPort> podPorts(Pod pod, String where) {
        TreeSet<PodPort> ports = new TreeSet<>();
        List<Container> containers = pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers();
        for (int i = 0; i < containers.size(); i++) {
            List<ContainerPort> declared = containers.get(i).getPorts() == null ? List.of() : containers.get(i).getPorts();
            for (int j = 0; j < declared.size(); j++) {
                ContainerPort cp = declared.get(j);
                String field = "spec.containers[" + i + "].ports[" + j + "]";
                String protocol = cp.getProtocol() == null ? "TCP" : cp.getProtocol();
                Integer port = cp.getContainerPort();
                if (port == null || port < 1 || port > 65535) {
                    if (where != null) {
                        problems.add(where + ": " + field + ".containerPort: " + port + " is not a port (1 to 65535)");
                    }
                    continue;
                }
                switch (protocol) {
                    case "TCP", "UDP" -> ports.add(new PodPort(protocol, port));
                    case "SCTP" -> {
                        if (where != null) {
                            warnings.add(where + ": " + field + ": SCTP port " + port + " has no responder in the lab");
                        }
                    }
                    default -> {
                        if (where != null) {
                            problems.add(where + ": " + field + ".protocol: \"" + protocol + "\" is not TCP, UDP or SCTP");
                        }
                    }
                }
            }
        }
        return List.copyOf(ports);
    }

    private String podNamespace(Pod pod, Set<String> taken) {
        String base = labName + "-" + pod.getMetadata().getNamespace() + "-" + pod.getMetadata().getName();
        if (base.length() <= MAX_NETNS_NAME && taken.add(base)) {
            return base;
        }
        String prefix = base.length() > MAX_NETNS_NAME - 9 ? base.substring(0, MAX_NETNS_NAME - 9) : base;
        for (int salt = 0; ; salt++) {
            String candidate = prefix + "-" + hex(key(pod) + "#" + salt).substring(0, 8);
            if (taken.add(candidate)) {
                return candidate;
            }
        }
    }

    /** {@code lxc} and 12 hex digits of the pod's key: 15 characters, the kernel's limit. */
    private static String hostInterface(String key, Set<String> taken) {
        for (int salt = 0; ; salt++) {
            String candidate = "lxc" + hex(salt == 0 ? key : key + "#" + salt).substring(0, 12);
            if (taken.add(candidate)) {
                return candidate;
            }
        }
    }

    private void completePod(Pod pod, LabNode node, String address) {
        pod.getSpec().setNodeName(node.name());
        if (pod.getMetadata().getUid() == null) {
            pod.getMetadata().setUid(uid("Pod", key(pod)));
        }
        PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        status.setPhase("Running");
        status.setPodIP(address);
        status.setPodIPs(List.of(new PodIP(address)));
        status.setHostIP(node.address());
        status.setHostIPs(List.of(new HostIP(node.address())));
        if (status.getConditions() == null || status.getConditions().isEmpty()) {
            List<PodCondition> conditions = new ArrayList<>();
            for (String type : List.of("PodScheduled", "Initialized", "ContainersReady", "Ready")) {
                conditions.add(new PodConditionBuilder().withType(type).withStatus("True").build());
            }
            status.setConditions(conditions);
        }
        pod.setStatus(status);
    }

    // ---- services ------------------------------------------------------------------------------------------

    private List<Service> planServices(ManifestSet manifests, Assignments previous, Map<String, String> clusterIPs,
                                       Map<String, Integer> nodePorts) {
        List<Service> valid = new ArrayList<>();
        Set<Integer> ipsTaken = new HashSet<>();
        Set<Integer> nodePortsTaken = new HashSet<>();
        Map<Service, String> origin = new HashMap<>();
        for (Service original : sorted(manifests.services())) {
            String where = manifests.origin(original) + ": Service " + key(original);
            int before = problems.size();
            Service service = SERIALIZATION.clone(original);
            origin.put(service, where);
            checkService(where, service, ipsTaken, nodePortsTaken);
            if (problems.size() == before) {
                valid.add(service);
            }
        }
        // Cluster IPs and node ports the manifests left out: first the previous plan's where still free, then
        // the lowest free for the rest (two passes, so a new Service never takes an address another one had).
        for (Service service : valid) {
            ServiceSpec spec = service.getSpec();
            String key = key(service);
            String before = previous.clusterIPs().get(key);
            if (!"ExternalName".equals(spec.getType()) && spec.getClusterIP() == null && before != null
                    && isServiceAddress(before) && ipsTaken.add(Ipv4.parse(before))) {
                spec.setClusterIP(before);
            }
            for (int i = 0; hasNodePorts(spec) && i < spec.getPorts().size(); i++) {
                ServicePort port = spec.getPorts().get(i);
                Integer beforePort = previous.nodePorts().get(key + "/" + i);
                if (port.getNodePort() == null && beforePort != null && nodePortsTaken.add(beforePort)) {
                    port.setNodePort(beforePort);
                }
            }
        }
        for (Service service : valid) {
            ServiceSpec spec = service.getSpec();
            String key = key(service);
            if (!"ExternalName".equals(spec.getType()) && spec.getClusterIP() == null) {
                int chosen = 0;
                for (int a = AddressPlan.SERVICE_NETWORK + 1; AddressPlan.isServiceAddress(a); a++) {
                    if (ipsTaken.add(a)) {
                        chosen = a;
                        break;
                    }
                }
                if (chosen == 0) {
                    problems.add(origin.get(service) + ": spec.clusterIP: the service range " + AddressPlan.SERVICE_CIDR
                            + " is full");
                    continue;
                }
                spec.setClusterIP(Ipv4.format(chosen));
            }
            if (spec.getClusterIP() != null) {
                spec.setClusterIPs(List.of(spec.getClusterIP()));
                if (!"None".equals(spec.getClusterIP())) {
                    clusterIPs.put(key, spec.getClusterIP());
                }
            }
            for (int i = 0; hasNodePorts(spec) && i < spec.getPorts().size(); i++) {
                ServicePort port = spec.getPorts().get(i);
                for (int p = AddressPlan.NODE_PORT_MIN; port.getNodePort() == null && p <= AddressPlan.NODE_PORT_MAX; p++) {
                    if (nodePortsTaken.add(p)) {
                        port.setNodePort(p);
                    }
                }
                if (port.getNodePort() == null) {
                    problems.add(origin.get(service) + ": spec.ports[" + i + "].nodePort: every node port is taken");
                    continue;
                }
                nodePorts.put(key + "/" + i, port.getNodePort());
            }
        }
        return valid;
    }

    private static boolean hasNodePorts(ServiceSpec spec) {
        return "NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType());
    }

    private static boolean isServiceAddress(String text) {
        try {
            return AddressPlan.isServiceAddress(Ipv4.parse(text));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void checkService(String where, Service service, Set<Integer> ipsTaken, Set<Integer> nodePortsTaken) {
        if (service.getSpec() == null) {
            problems.add(where + ": spec: missing");
            return;
        }
        ServiceSpec spec = service.getSpec();
        if (service.getMetadata().getUid() == null) {
            service.getMetadata().setUid(uid("Service", key(service)));
        }
        String type = spec.getType() == null ? "ClusterIP" : spec.getType();
        spec.setType(type);
        if (!Set.of("ClusterIP", "NodePort", "LoadBalancer", "ExternalName").contains(type)) {
            problems.add(where + ": spec.type: \"" + type + "\" is not ClusterIP, NodePort, LoadBalancer or ExternalName");
            return;
        }
        if (spec.getSessionAffinity() == null) {
            spec.setSessionAffinity("None");
        } else if (!Set.of("None", "ClientIP").contains(spec.getSessionAffinity())) {
            problems.add(where + ": spec.sessionAffinity: \"" + spec.getSessionAffinity() + "\" is not None or ClientIP");
        }
        if (spec.getPorts() == null) {
            spec.setPorts(new ArrayList<>());
        }
        if ("ExternalName".equals(type)) {
            if (spec.getExternalName() == null || spec.getExternalName().isBlank()) {
                problems.add(where + ": spec.externalName: required for type ExternalName");
            }
            spec.setClusterIP(null);
            spec.setClusterIPs(null);
            return;
        }
        spec.setIpFamilies(List.of("IPv4"));
        spec.setIpFamilyPolicy("SingleStack");
        if (spec.getInternalTrafficPolicy() == null) {
            spec.setInternalTrafficPolicy("Cluster");
        }
        boolean hasNodePorts = "NodePort".equals(type) || "LoadBalancer".equals(type);
        if (hasNodePorts && spec.getExternalTrafficPolicy() == null) {
            spec.setExternalTrafficPolicy("Cluster");
        }
        String clusterIP = blankToNull(spec.getClusterIP());
        if (clusterIP == null && spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
            clusterIP = spec.getClusterIPs().getFirst();
        }
        spec.setClusterIP(clusterIP);
        if ("None".equals(clusterIP)) {
            if (!"ClusterIP".equals(type)) {
                problems.add(where + ": spec.clusterIP: None (headless) is for type ClusterIP only, not " + type);
            }
        } else if (clusterIP != null) {
            try {
                int a = Ipv4.parse(clusterIP);
                if (!AddressPlan.isServiceAddress(a)) {
                    problems.add(where + ": spec.clusterIP: " + clusterIP + " is outside the lab's service range "
                            + AddressPlan.SERVICE_CIDR + " (leave it out and the lab assigns one)");
                } else if (!ipsTaken.add(a)) {
                    problems.add(where + ": spec.clusterIP: " + clusterIP + " is already another Service's");
                }
            } catch (IllegalArgumentException e) {
                problems.add(where + ": spec.clusterIP: " + e.getMessage());
            }
        }
        if (spec.getPorts().isEmpty() && !"None".equals(clusterIP)) {
            problems.add(where + ": spec.ports: a Service needs at least one port (unless headless)");
        }
        Set<String> names = new HashSet<>();
        Set<String> protocolPorts = new HashSet<>();
        for (int i = 0; i < spec.getPorts().size(); i++) {
            ServicePort port = spec.getPorts().get(i);
            String field = where + ": spec.ports[" + i + "]";
            if (port.getProtocol() == null) {
                port.setProtocol("TCP");
            }
            if (!Set.of("TCP", "UDP", "SCTP").contains(port.getProtocol())) {
                problems.add(field + ".protocol: \"" + port.getProtocol() + "\" is not TCP, UDP or SCTP");
            }
            if (port.getPort() == null || port.getPort() < 1 || port.getPort() > 65535) {
                problems.add(field + ".port: " + port.getPort() + " is not a port (1 to 65535)");
                continue;
            }
            if (!protocolPorts.add(port.getProtocol() + "/" + port.getPort())) {
                problems.add(field + ".port: " + port.getProtocol() + "/" + port.getPort() + " appears twice");
            }
            if (spec.getPorts().size() > 1 && (port.getName() == null || port.getName().isBlank())) {
                problems.add(field + ".name: required when a Service has more than one port");
            } else if (port.getName() != null && !port.getName().isEmpty()) {
                if (!PORT_NAME.matcher(port.getName()).matches() || port.getName().length() > 63) {
                    problems.add(field + ".name: \"" + port.getName() + "\" is not a DNS label");
                } else if (!names.add(port.getName())) {
                    problems.add(field + ".name: \"" + port.getName() + "\" appears twice");
                }
            }
            IntOrString target = port.getTargetPort();
            if (target == null || (target.getIntVal() == null && target.getStrVal() == null)) {
                port.setTargetPort(new IntOrString(port.getPort()));
            } else if (target.getIntVal() != null && (target.getIntVal() < 1 || target.getIntVal() > 65535)) {
                problems.add(field + ".targetPort: " + target.getIntVal() + " is not a port (1 to 65535)");
            }
            Integer nodePort = port.getNodePort();
            if (nodePort != null) {
                if (!hasNodePorts) {
                    problems.add(field + ".nodePort: only NodePort and LoadBalancer Services have node ports");
                } else if (nodePort < AddressPlan.NODE_PORT_MIN || nodePort > AddressPlan.NODE_PORT_MAX) {
                    problems.add(field + ".nodePort: " + nodePort + " is outside " + AddressPlan.NODE_PORT_MIN + "-"
                            + AddressPlan.NODE_PORT_MAX);
                } else if (!nodePortsTaken.add(nodePort)) {
                    problems.add(field + ".nodePort: " + nodePort + " is already taken");
                }
            }
        }
    }

    // ---- endpoint slices -----------------------------------------------------------------------------------

    private List<EndpointSlice> planSlices(ManifestSet manifests, List<Service> services, List<Pod> pods) {
        List<EndpointSlice> slices = new ArrayList<>();
        Set<String> given = new HashSet<>();
        for (EndpointSlice original : sorted(manifests.endpointSlices())) {
            String where = manifests.origin(original) + ": EndpointSlice " + key(original);
            EndpointSlice slice = SERIALIZATION.clone(original);
            String service = slice.getMetadata().getLabels() == null ? null
                    : slice.getMetadata().getLabels().get(EndpointSliceDeriver.SERVICE_NAME_LABEL);
            if (service == null) {
                warnings.add(where + ": metadata.labels: no " + EndpointSliceDeriver.SERVICE_NAME_LABEL
                        + " label, so it backs no Service");
            } else {
                given.add(slice.getMetadata().getNamespace() + "/" + service);
            }
            if (!"IPv4".equals(slice.getAddressType())) {
                problems.add(where + ": addressType: \"" + slice.getAddressType() + "\" (the lab is IPv4 only)");
                continue;
            }
            slices.add(slice);
        }
        for (Service service : services) {
            if (!given.contains(key(service))) {
                slices.addAll(EndpointSliceDeriver.derive(service, pods));
            }
        }
        return slices;
    }

    private LabService labService(Service service, List<EndpointSlice> slices, Map<String, String> podByAddress) {
        ServiceSpec spec = service.getSpec();
        List<ServiceFrontend> frontends = new ArrayList<>();
        boolean hasClusterIP = spec.getClusterIP() != null && !"None".equals(spec.getClusterIP());
        boolean hasNodePorts = hasNodePorts(spec);
        for (ServicePort port : spec.getPorts()) {
            String name = port.getName() == null ? "" : port.getName();
            if (hasClusterIP) {
                frontends.add(new ServiceFrontend("ClusterIP", spec.getClusterIP(), port.getPort(), port.getProtocol(), name));
            }
            if (hasNodePorts && port.getNodePort() != null) {
                for (LabNode node : nodes) {
                    frontends.add(new ServiceFrontend("NodePort", node.address(), port.getNodePort(), port.getProtocol(), name));
                }
            }
        }
        List<LabBackend> backends = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            Map<String, String> labels = slice.getMetadata().getLabels();
            if (!service.getMetadata().getNamespace().equals(slice.getMetadata().getNamespace()) || labels == null
                    || !service.getMetadata().getName().equals(labels.get(EndpointSliceDeriver.SERVICE_NAME_LABEL))) {
                continue;
            }
            List<Endpoint> endpoints = slice.getEndpoints() == null ? List.of() : slice.getEndpoints();
            List<EndpointPort> ports = slice.getPorts() == null ? List.of() : slice.getPorts();
            for (Endpoint endpoint : endpoints) {
                boolean ready = endpoint.getConditions() == null || endpoint.getConditions().getReady() == null
                        || endpoint.getConditions().getReady();
                for (String address : endpoint.getAddresses() == null ? List.<String>of() : endpoint.getAddresses()) {
                    for (EndpointPort port : ports) {
                        backends.add(new LabBackend(address, podByAddress.get(address), ready,
                                port.getName() == null ? "" : port.getName(),
                                port.getProtocol() == null ? "TCP" : port.getProtocol(),
                                port.getPort() == null ? 0 : port.getPort()));
                    }
                }
            }
        }
        String algorithm = service.getMetadata().getAnnotations() == null ? null
                : service.getMetadata().getAnnotations().get(LB_ALGORITHM_ANNOTATION);
        return new LabService(service.getMetadata().getNamespace(), service.getMetadata().getName(), spec.getType(),
                spec.getClusterIP(), spec.getSessionAffinity(), algorithm, frontends, backends);
    }

    // ---- namespaces and nodes ------------------------------------------------------------------------------

    private List<Namespace> planNamespaces(ManifestSet manifests) {
        Map<String, Namespace> byName = new TreeMap<>();
        for (Namespace original : manifests.namespaces()) {
            byName.put(original.getMetadata().getName(), SERIALIZATION.clone(original));
        }
        Set<String> used = new TreeSet<>();
        manifests.pods().forEach(p -> used.add(p.getMetadata().getNamespace()));
        manifests.services().forEach(s -> used.add(s.getMetadata().getNamespace()));
        manifests.endpointSlices().forEach(s -> used.add(s.getMetadata().getNamespace()));
        manifests.networkPolicies().forEach(p -> used.add(p.getMetadata().getNamespace()));
        for (String name : used) {
            byName.computeIfAbsent(name, n -> new NamespaceBuilder().withNewMetadata().withName(n).endMetadata().build());
        }
        for (Namespace ns : byName.values()) {
            Map<String, String> labels = ns.getMetadata().getLabels() == null
                    ? new TreeMap<>() : new TreeMap<>(ns.getMetadata().getLabels());
            // The API server sets this label on every namespace; policies select namespaces by it.
            labels.put(NAMESPACE_NAME_LABEL, ns.getMetadata().getName());
            ns.getMetadata().setLabels(labels);
            if (ns.getMetadata().getUid() == null) {
                ns.getMetadata().setUid(uid("Namespace", ns.getMetadata().getName()));
            }
        }
        return List.copyOf(byName.values());
    }

    private Node nodeObject(LabNode node) {
        return new NodeBuilder()
                .withNewMetadata()
                    .withName(node.name())
                    .withUid(uid("Node", node.name()))
                    .addToLabels("kubernetes.io/hostname", node.name())
                    .addToLabels("kubernetes.io/os", "linux")
                .endMetadata()
                .withNewSpec()
                    .withPodCIDR(node.podCidr())
                    .withPodCIDRs(node.podCidr())
                .endSpec()
                .withNewStatus()
                    .addNewAddress().withType("InternalIP").withAddress(node.address()).endAddress()
                    .addNewAddress().withType("Hostname").withAddress(node.name()).endAddress()
                    .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .endStatus()
                .build();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private String uid(String kind, String key) {
        return UUID.nameUUIDFromBytes((labName + "/" + kind + "/" + key).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String key(HasMetadata object) {
        return ManifestSet.describe(object);
    }

    private static <T extends HasMetadata> List<T> sorted(List<T> objects) {
        return objects.stream().sorted(Comparator.comparing(LabPlanner::key)).toList();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
