package io.sluice.lab;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;

/**
 * What the lab must look like for a manifest directory and a node count: its nodes, pods and services, and the
 * objects every node's agent reads (the user's objects completed as an API server and its controllers would).
 *
 * @param nodes       lab-1 to lab-N
 * @param pods        sorted by key
 * @param services    sorted by key
 * @param objects     Namespaces, Nodes, Pods, Services, EndpointSlices and NetworkPolicies for the agents
 * @param assignments the decisions to keep for the next plan
 * @param warnings    what the lab ignores, each naming the object and why
 */
public record LabPlan(List<LabNode> nodes, List<LabPod> pods, List<LabService> services, List<HasMetadata> objects,
                      Assignments assignments, List<String> warnings) {

    public LabPlan {
        nodes = List.copyOf(nodes);
        pods = List.copyOf(pods);
        services = List.copyOf(services);
        objects = List.copyOf(objects);
        warnings = List.copyOf(warnings);
    }
}
