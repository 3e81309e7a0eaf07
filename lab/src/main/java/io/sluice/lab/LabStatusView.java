package io.sluice.lab;

import io.sluice.lab.LabState.NodeState;
import io.sluice.lab.LabState.PodState;
import java.util.stream.Collectors;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code sluice lab status}: the lab's nodes, pods and services as tables or JSON. */
final class LabStatusView {
    private LabStatusView() {
    }

    /**
     * The status as JSON: {@code nodes} (name, networkNamespace, address, podCIDR, agentPid, agentRunning,
     * agentRestarts, metricsUrl, cgroup, bpffsDir, manifestDir, agentLog) and {@code pods} (name as
     * namespace/name, node, address, networkNamespace, hostInterface, ports, responderPid, responderRunning), then
     * services, problems and warnings. An agent or responder is running once it serves (it answers /readyz, it
     * listens), not as soon as its process exists.
     */
    static String json(LabLayout layout, LabState state) {
        ObjectNode root = LabStateFile.JSON.createObjectNode();
        root.put("name", state.name());
        root.put("manifests", state.manifests());
        root.put("stateFile", layout.stateFile().toString());
        ObjectNode supervisor = root.putObject("supervisor");
        supervisor.put("pid", state.supervisor() == null ? null : state.supervisor().pid());
        supervisor.put("running", state.supervisor() != null && state.supervisor().alive());
        supervisor.put("log", layout.supervisorLog().toString());
        ArrayNode nodes = root.putArray("nodes");
        for (NodeState n : state.nodes()) {
            LabNode node = n.node();
            ObjectNode o = nodes.addObject();
            o.put("name", node.name());
            o.put("networkNamespace", node.networkNamespace());
            o.put("address", node.address());
            o.put("podCIDR", node.podCidr());
            o.put("agentPid", n.agent() == null ? null : n.agent().pid());
            o.put("agentRunning", n.agent() != null && n.agent().running());
            o.put("agentRestarts", n.agentRestarts());
            o.put("metricsUrl", node.metricsUrl());
            o.put("cgroup", String.valueOf(layout.nodeCgroup(node.name())));
            o.put("bpffsDir", String.valueOf(layout.nodePinDir(node.name())));
            o.put("manifestDir", layout.nodeManifests(node.name()).toString());
            o.put("agentLog", layout.agentLog(node.name()).toString());
        }
        ArrayNode pods = root.putArray("pods");
        for (PodState p : state.pods()) {
            LabPod pod = p.pod();
            ObjectNode o = pods.addObject();
            o.put("name", pod.key());
            o.put("node", pod.node());
            o.put("address", pod.address());
            o.put("networkNamespace", pod.networkNamespace());
            o.put("hostInterface", pod.hostInterface());
            ArrayNode ports = o.putArray("ports");
            pod.ports().forEach(port -> ports.add(port.toString()));
            o.put("responderPid", p.responder() == null ? null : p.responder().pid());
            o.put("responderRunning", p.responder() != null && p.responder().running());
        }
        ArrayNode services = root.putArray("services");
        for (LabService s : state.services()) {
            ObjectNode o = services.addObject();
            o.put("name", s.key());
            o.put("type", s.type());
            o.put("clusterIP", s.clusterIP());
            o.put("sessionAffinity", s.sessionAffinity());
            o.put("lbAlgorithm", s.lbAlgorithm());
            ArrayNode frontends = o.putArray("frontends");
            s.frontends().forEach(f -> frontends.add(f.toString()));
            ArrayNode backends = o.putArray("backends");
            for (LabBackend b : s.backends()) {
                ObjectNode bo = backends.addObject();
                bo.put("pod", b.pod());
                bo.put("address", b.address());
                bo.put("port", b.port());
                bo.put("protocol", b.protocol());
                bo.put("portName", b.portName());
                bo.put("ready", b.ready());
            }
        }
        ArrayNode problems = root.putArray("problems");
        state.problems().forEach(problems::add);
        ArrayNode warnings = root.putArray("warnings");
        state.warnings().forEach(warnings::add);
        return LabStateFile.JSON.writeValueAsString(root) + "\n";
    }

    static String text(LabLayout layout, LabState state) {
        StringBuilder out = new StringBuilder();
        boolean supervised = state.supervisor() != null && state.supervisor().alive();
        out.append("Lab ").append(state.name()).append(": ").append(state.nodes().size()).append(" nodes, ")
                .append(state.pods().size()).append(" pods, ").append(state.services().size()).append(" services; ")
                .append("manifests ").append(state.manifests()).append('\n');
        out.append("Supervisor: ").append(state.supervisor() == null ? "not started"
                : "pid " + state.supervisor().pid() + (supervised ? " (running)" : " (NOT RUNNING: agents are not "
                + "restarted and manifest changes are not applied; run sluice lab up again)")).append('\n');
        if (!state.problems().isEmpty()) {
            out.append("\nThe latest manifest change was NOT applied:\n");
            state.problems().forEach(p -> out.append("  ").append(p).append('\n'));
        }
        out.append('\n');
        Table nodes = new Table("NODE", "NETNS", "ADDRESS", "POD CIDR", "AGENT PID", "AGENT", "RESTARTS", "METRICS");
        for (NodeState n : state.nodes()) {
            nodes.row(n.node().name(), n.node().networkNamespace(), n.node().address(), n.node().podCidr(),
                    n.agent() == null ? null : n.agent().pid(),
                    state(n.agent()),
                    n.agentRestarts(), n.node().metricsUrl());
        }
        out.append(nodes).append('\n');
        Table pods = new Table("POD", "NODE", "ADDRESS", "NETNS", "PORTS", "RESPONDER");
        for (PodState p : state.pods()) {
            pods.row(p.pod().key(), p.pod().node(), p.pod().address(), p.pod().networkNamespace(),
                    p.pod().ports().stream().map(PodPort::toString).collect(Collectors.joining(",")),
                    state(p.responder()));
        }
        out.append(pods);
        out.append("\nLogs: ").append(layout.logDir()).append('\n');
        return out.toString();
    }

    /** An agent's or responder's state as a word: running once it serves, starting before. */
    private static String state(ProcessRecord process) {
        return process == null ? "not started" : process.running() ? "running" : process.alive() ? "starting" : "exited";
    }
}
