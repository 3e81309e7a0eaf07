package io.sluice.lab;

import java.util.List;

/**
 * Everything a running lab consists of, saved as JSON in {@link LabLayout#stateFile()} so that every
 * {@code sluice lab} invocation and the supervisor find the parts. Written before each part is created (so a crash
 * leaves a record of what to sweep) and replaced atomically. {@code up} writes it until the supervisor starts; the
 * supervisor alone writes it afterwards.
 *
 * @param version      {@link #VERSION}; a state file of another version is refused
 * @param name         the lab's name
 * @param manifests    the user's manifest directory
 * @param agentCommand the command that runs an agent, before the lab's flags
 * @param supervisor   the supervisor process, or null before it started
 * @param nodes        per node: its plan and its agent
 * @param pods         per pod: its plan and its responder
 * @param services     the services as planned
 * @param assignments  decisions to keep on the next plan
 * @param problems     why the latest manifest change was not applied (empty when it was)
 * @param warnings     what the lab ignores in the manifests
 */
public record LabState(int version, String name, String manifests, List<String> agentCommand,
                       ProcessRecord supervisor, List<NodeState> nodes, List<PodState> pods,
                       List<LabService> services, Assignments assignments, List<String> problems,
                       List<String> warnings) {
    public static final int VERSION = 1;

    public LabState {
        agentCommand = List.copyOf(agentCommand);
        nodes = List.copyOf(nodes);
        pods = List.copyOf(pods);
        services = List.copyOf(services);
        problems = List.copyOf(problems);
        warnings = List.copyOf(warnings);
    }

    /**
     * A node and its agent.
     *
     * @param node          the plan
     * @param agent         the agent process, or null when not running
     * @param agentRestarts how often the supervisor restarted it
     */
    public record NodeState(LabNode node, ProcessRecord agent, int agentRestarts) {
        public NodeState withAgent(ProcessRecord process, int restarts) {
            return new NodeState(node, process, restarts);
        }
    }

    /**
     * A pod and its responder.
     *
     * @param pod       the plan
     * @param responder the responder process, or null when not running
     * @param restarts  how often the supervisor restarted it
     */
    public record PodState(LabPod pod, ProcessRecord responder, int restarts) {
        public PodState withResponder(ProcessRecord process, int count) {
            return new PodState(pod, process, count);
        }
    }

    public LabState withSupervisor(ProcessRecord process) {
        return new LabState(version, name, manifests, agentCommand, process, nodes, pods, services, assignments,
                problems, warnings);
    }

    public LabState withNodes(List<NodeState> value) {
        return new LabState(version, name, manifests, agentCommand, supervisor, value, pods, services, assignments,
                problems, warnings);
    }

    public LabState withPods(List<PodState> value) {
        return new LabState(version, name, manifests, agentCommand, supervisor, nodes, value, services, assignments,
                problems, warnings);
    }

    public LabState withPlan(LabPlan plan) {
        return new LabState(version, name, manifests, agentCommand, supervisor, nodes, pods, plan.services(),
                plan.assignments(), List.of(), plan.warnings());
    }

    public LabState withProblems(List<String> value) {
        return new LabState(version, name, manifests, agentCommand, supervisor, nodes, pods, services, assignments,
                value, warnings);
    }

    /** The pod {@code namespace/name}, if the lab runs it. */
    public java.util.Optional<PodState> pod(String key) {
        return pods.stream().filter(p -> p.pod().key().equals(key)).findFirst();
    }
}
