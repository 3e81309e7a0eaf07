package io.sluice.lab;

import io.sluice.loader.KernelMounts;
import java.nio.file.Path;

/**
 * Where a lab keeps its parts, all derived from its name: state and generated files under {@code /run/<name>},
 * agents' persisted state under {@code /var/lib/<name>}, one cgroup per node under {@code <cgroup2>/<name>}, one
 * bpffs folder per node under {@code <bpffs>/<name>}. A second lab with another name shares nothing with the first.
 *
 * @param name       the lab's name (default {@code sluice-lab})
 * @param runDir     state file, node manifest directories, logs, the pod helper
 * @param varDir     the agents' state directories
 * @param cgroupRoot the lab's cgroup, or null when the machine has no cgroup v2 mount
 * @param bpffsRoot  the lab's bpffs folder, or null when the machine has no bpffs
 */
public record LabLayout(String name, Path runDir, Path varDir, Path cgroupRoot, Path bpffsRoot) {
    public static final String DEFAULT_NAME = "sluice-lab";

    /** The layout of lab {@code name} on this machine. */
    public static LabLayout of(String name) {
        return new LabLayout(name, Path.of("/run", name), Path.of("/var/lib", name),
                KernelMounts.cgroup2().map(m -> m.resolve(name)).orElse(null),
                KernelMounts.bpffs().map(m -> m.resolve(name)).orElse(null));
    }

    public Path stateFile() {
        return runDir.resolve("state.json");
    }

    /** The pod helper (responder, prober, traffic generator), written here at {@code up}. */
    public Path podHelper() {
        return runDir.resolve("lab-pod.py");
    }

    public Path logDir() {
        return runDir.resolve("logs");
    }

    public Path supervisorLog() {
        return logDir().resolve("supervisor.log");
    }

    public Path agentLog(String node) {
        return logDir().resolve(node + "-agent.log");
    }

    public Path podLog(String namespace, String pod) {
        return logDir().resolve("pods").resolve(namespace + "_" + pod + ".log");
    }

    /** The manifest directory node {@code node}'s agent reads. */
    public Path nodeManifests(String node) {
        return runDir.resolve("nodes").resolve(node).resolve("manifests");
    }

    public Path agentStateDir(String node) {
        return varDir.resolve(node);
    }

    public Path nodeCgroup(String node) {
        return cgroupRoot == null ? null : cgroupRoot.resolve(node);
    }

    public Path nodePinDir(String node) {
        return bpffsRoot == null ? null : bpffsRoot.resolve(node);
    }

    /** The file {@code ip netns} keeps for {@code networkNamespace}, which {@code nsenter --net=} takes. */
    public static Path netnsFile(String networkNamespace) {
        return Path.of("/run/netns", networkNamespace);
    }
}
