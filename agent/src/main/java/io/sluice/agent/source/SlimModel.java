package io.sluice.agent.source;

import com.fasterxml.jackson.annotation.JsonIncludeProperties;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.util.Map;

/**
 * Jackson mix-ins that make fabric8's model read only the fields of Pods, Nodes and Namespaces the agent uses, as
 * Cilium's slim Kubernetes types and client-go's informer transforms do; every other field of those kinds is read past
 * (skipped, not kept in {@code additionalProperties}, not an error), as if the API server had not sent it; so is a
 * field the model does not know, anywhere in those kinds.
 *
 * <p>Why: fabric8's Pod model has over 500 properties (containers, env, volumes, probes, affinity, status conditions,
 * container statuses, ...) and its Node model images, conditions and capacities. The mapper builds a deserializer for
 * every property of a class it binds, its whole tree before the first list request (some 300 model classes loaded and
 * introspected in main); the informers' cache then held each of a cluster's Pods with all of it. With these mix-ins
 * Jackson builds deserializers for the kept properties only, and the cache holds only them.
 *
 * <p>Kept, and who reads them:
 * <ul>
 *   <li>Pod: {@code metadata.name, namespace, labels, resourceVersion}; {@code spec.nodeName, hostNetwork} and
 *       {@code spec.containers[].ports[].name, containerPort, protocol} (named ports of NetworkPolicy);
 *       {@code status.phase, podIP, podIPs[].ip} (PolicyEngine, PolicyReconciler).</li>
 *   <li>Node: {@code metadata.name, resourceVersion}; {@code status.addresses[].type, address} (the host's
 *       addresses, PolicyReconciler).</li>
 *   <li>Namespace: {@code metadata.name, labels, resourceVersion} (PolicyEngine).</li>
 * </ul>
 * {@code resourceVersion}, namespace and name are the informers' and the writer's (store keys, unchanged resyncs).
 * Services, EndpointSlices and NetworkPolicies are read whole: their readers use most of them, and a policy is
 * validated against everything it says.
 *
 * <p>A field the agent comes to read must be added here (and to the test list of kept fields,
 * {@code AgentReadFields.KEPT}), or it reads as absent.
 */
final class SlimModel {
    /** The mix-ins, by the model class they apply to ({@code MapperBuilder.addMixIns}). */
    static final Map<Class<?>, Class<?>> MIX_INS = Map.of(
            Pod.class, PodFields.class,
            PodSpec.class, PodSpecFields.class,
            Container.class, ContainerFields.class,
            ContainerPort.class, ContainerPortFields.class,
            PodStatus.class, PodStatusFields.class,
            PodIP.class, PodIPFields.class,
            Node.class, NodeFields.class,
            NodeStatus.class, NodeStatusFields.class,
            NodeAddress.class, NodeAddressFields.class,
            Namespace.class, NamespaceFields.class);

    private SlimModel() {
    }

    /** Metadata: only what identifies the Pod, and its labels. */
    @JsonIncludeProperties({"apiVersion", "kind", "metadata", "spec", "status"})
    private abstract static class PodFields {
        @JsonIncludeProperties({"name", "namespace", "labels", "resourceVersion"})
        ObjectMeta metadata;
    }

    @JsonIncludeProperties({"nodeName", "hostNetwork", "containers"})
    private abstract static class PodSpecFields {
    }

    @JsonIncludeProperties("ports")
    private abstract static class ContainerFields {
    }

    @JsonIncludeProperties({"name", "containerPort", "protocol"})
    private abstract static class ContainerPortFields {
    }

    @JsonIncludeProperties({"phase", "podIP", "podIPs"})
    private abstract static class PodStatusFields {
    }

    @JsonIncludeProperties("ip")
    private abstract static class PodIPFields {
    }

    /** No {@code spec}: nothing reads a Node's. */
    @JsonIncludeProperties({"apiVersion", "kind", "metadata", "status"})
    private abstract static class NodeFields {
        @JsonIncludeProperties({"name", "resourceVersion"})
        ObjectMeta metadata;
    }

    @JsonIncludeProperties("addresses")
    private abstract static class NodeStatusFields {
    }

    @JsonIncludeProperties({"type", "address"})
    private abstract static class NodeAddressFields {
    }

    /** No {@code spec} or {@code status} (finalizers, phase): only the name and labels matter to policy. */
    @JsonIncludeProperties({"apiVersion", "kind", "metadata"})
    private abstract static class NamespaceFields {
        @JsonIncludeProperties({"name", "labels", "resourceVersion"})
        ObjectMeta metadata;
    }
}
