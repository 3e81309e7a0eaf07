package io.sluice.lab;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * Derives a Service's EndpointSlices from the pods its selector picks, as the Kubernetes endpoint slice controller
 * does: pods of the Service's namespace whose labels match the selector and that have an address; each endpoint's
 * {@code ready} is the pod's Ready condition (always true with {@code publishNotReadyAddresses}); each Service port
 * is resolved per pod (a named {@code targetPort} looks up the pod's container port of that name and protocol, and
 * a pod without it gets no endpoint for that port). Pods that resolve to the same ports share one slice, so there
 * is one slice per Service unless named ports differ between pods. Slices are labelled
 * {@code kubernetes.io/service-name} and {@code endpointslice.kubernetes.io/managed-by}, address type IPv4.
 * A Service without a selector, or of type ExternalName, gets none (its slices come from the manifests).
 */
public final class EndpointSliceDeriver {
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "endpointslice-controller.k8s.io";

    private EndpointSliceDeriver() {
    }

    /** Whether the controller manages slices for {@code service}: it has a non-empty selector and is not ExternalName. */
    public static boolean selects(Service service) {
        Map<String, String> selector = service.getSpec().getSelector();
        return selector != null && !selector.isEmpty() && !"ExternalName".equals(service.getSpec().getType());
    }

    /**
     * The slices for {@code service} over {@code pods} (any namespace; those of other namespaces are skipped).
     * Pods need {@code status.podIP}; the result is sorted by slice name, endpoints by pod name.
     */
    public static List<EndpointSlice> derive(Service service, List<Pod> pods) {
        if (!selects(service)) {
            return List.of();
        }
        String namespace = service.getMetadata().getNamespace();
        Map<String, String> selector = service.getSpec().getSelector();
        boolean publishNotReady = Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses());
        List<Pod> selected = pods.stream()
                .filter(p -> namespace.equals(p.getMetadata().getNamespace()))
                .filter(p -> matches(selector, p.getMetadata().getLabels()))
                .filter(p -> p.getStatus() != null && p.getStatus().getPodIP() != null)
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        Map<List<EndpointPort>, List<Endpoint>> groups = new LinkedHashMap<>();
        for (Pod pod : selected) {
            List<EndpointPort> ports = resolvePorts(service, pod);
            groups.computeIfAbsent(ports, k -> new ArrayList<>()).add(endpoint(pod, publishNotReady));
        }
        if (groups.isEmpty()) {
            // The controller keeps one empty slice for a selecting Service with no pods.
            groups.put(List.of(), List.of());
        }
        List<EndpointSlice> slices = new ArrayList<>();
        for (Map.Entry<List<EndpointPort>, List<Endpoint>> group : groups.entrySet()) {
            slices.add(slice(service, group.getKey(), group.getValue()));
        }
        slices.sort(Comparator.comparing(s -> s.getMetadata().getName()));
        return slices;
    }

    static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        Map<String, String> have = labels == null ? Map.of() : labels;
        return selector.entrySet().stream().allMatch(e -> Objects.equals(have.get(e.getKey()), e.getValue()));
    }

    /** The service ports this pod serves, with their resolved port numbers, in the Service's order. */
    private static List<EndpointPort> resolvePorts(Service service, Pod pod) {
        List<EndpointPort> ports = new ArrayList<>();
        for (ServicePort sp : service.getSpec().getPorts()) {
            String protocol = sp.getProtocol() == null ? "TCP" : sp.getProtocol();
            Integer port = resolveTargetPort(sp, protocol, pod);
            if (port != null) {
                ports.add(new EndpointPortBuilder()
                        .withName(sp.getName() == null ? "" : sp.getName())
                        .withProtocol(protocol)
                        .withPort(port)
                        .withAppProtocol(sp.getAppProtocol())
                        .build());
            }
        }
        return List.copyOf(ports);
    }

    /** The target port number for {@code pod}, or null when a named target port is not among its container ports. */
    static Integer resolveTargetPort(ServicePort sp, String protocol, Pod pod) {
        IntOrString target = sp.getTargetPort();
        if (target == null || (target.getIntVal() == null && target.getStrVal() == null)) {
            return sp.getPort();
        }
        if (target.getIntVal() != null) {
            return target.getIntVal();
        }
        String name = target.getStrVal();
        if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
            return Integer.parseInt(name);
        }
        for (Container c : pod.getSpec().getContainers()) {
            for (ContainerPort cp : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
                String cpProtocol = cp.getProtocol() == null ? "TCP" : cp.getProtocol();
                if (name.equals(cp.getName()) && protocol.equals(cpProtocol)) {
                    return cp.getContainerPort();
                }
            }
        }
        return null;
    }

    /** Whether the pod's Ready condition is True (a pod without conditions is ready: the lab runs it). */
    static boolean podReady(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return true;
        }
        for (PodCondition c : pod.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return true;
    }

    private static Endpoint endpoint(Pod pod, boolean publishNotReady) {
        boolean ready = podReady(pod);
        boolean terminating = pod.getMetadata().getDeletionTimestamp() != null;
        return new EndpointBuilder()
                .withAddresses(pod.getStatus().getPodIP())
                .withNewConditions()
                    .withReady(publishNotReady || (ready && !terminating))
                    .withServing(ready)
                    .withTerminating(terminating)
                .endConditions()
                .withNodeName(pod.getSpec().getNodeName())
                .withNewTargetRef()
                    .withKind("Pod")
                    .withNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .withUid(pod.getMetadata().getUid())
                .endTargetRef()
                .build();
    }

    private static EndpointSlice slice(Service service, List<EndpointPort> ports, List<Endpoint> endpoints) {
        Map<String, String> labels = new HashMap<>();
        if (service.getMetadata().getLabels() != null) {
            labels.putAll(service.getMetadata().getLabels());
        }
        labels.put(SERVICE_NAME_LABEL, service.getMetadata().getName());
        labels.put(MANAGED_BY_LABEL, MANAGED_BY);
        return new EndpointSliceBuilder()
                .withNewMetadata()
                    .withName(service.getMetadata().getName() + "-" + suffix(ports))
                    .withNamespace(service.getMetadata().getNamespace())
                    .withLabels(new java.util.TreeMap<>(labels))
                    .withOwnerReferences(new OwnerReferenceBuilder()
                            .withApiVersion("v1").withKind("Service")
                            .withName(service.getMetadata().getName())
                            .withUid(service.getMetadata().getUid())
                            .withController(true).withBlockOwnerDeletion(true)
                            .build())
                .endMetadata()
                .withAddressType("IPv4")
                .withEndpoints(endpoints)
                .withPorts(ports)
                .build();
    }

    /** Five hex digits from the port set: stable names, distinct per port set, in the style of generateName. */
    private static String suffix(List<EndpointPort> ports) {
        CRC32 crc = new CRC32();
        for (EndpointPort p : ports) {
            crc.update((p.getName() + "/" + p.getProtocol() + "/" + p.getPort() + ";").getBytes(StandardCharsets.UTF_8));
        }
        return String.format("%05x", crc.getValue() & 0xfffff);
    }
}
