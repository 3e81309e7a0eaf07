package io.sluice.lab;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command lines that run a program inside a lab network namespace and a node's cgroup, as a container runtime
 * would: {@code nsenter --net=/run/netns/NS} changes only the network namespace (not {@code ip netns exec}, which
 * remounts {@code /sys} and would hide bpffs and the cgroup mount from a JVM), then a shell writes its own PID into
 * the cgroup's {@code cgroup.procs} and execs the program, so the program's first connection is already in the
 * cgroup. Each step execs the next: the PID of the started process is the program's.
 */
final class PodCommand {
    private PodCommand() {
    }

    /** {@code command} in {@code networkNamespace}, joined to {@code cgroup} first (when not null). */
    static List<String> inNamespace(String networkNamespace, Path cgroup, List<String> command) {
        List<String> line = new ArrayList<>();
        line.add("nsenter");
        line.add("--net=" + LabLayout.netnsFile(networkNamespace));
        if (cgroup != null) {
            line.add("sh");
            line.add("-c");
            line.add("echo $$ > \"$0\" && exec \"$@\"");
            line.add(cgroup.resolve("cgroup.procs").toString());
        }
        line.addAll(command);
        return line;
    }

    /** {@code command} in a session of its own, so that a Ctrl-C at the terminal that ran {@code up} spares it. */
    static List<String> detached(List<String> command) {
        List<String> line = new ArrayList<>();
        line.add("setsid");
        line.addAll(command);
        return line;
    }

    /**
     * The Python the pod helper runs on: Debian's {@code /usr/bin/python3} when present (a version manager's shim
     * earlier on the PATH costs about a second per start), else {@code python3} from the PATH.
     */
    static final String PYTHON = java.nio.file.Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /** The pod helper with its arguments. */
    static List<String> helper(LabLayout layout, String... args) {
        List<String> line = new ArrayList<>();
        line.add(PYTHON);
        line.add(layout.podHelper().toString());
        line.addAll(List.of(args));
        return line;
    }
}
