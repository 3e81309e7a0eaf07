package io.sluice.testnet;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** What the root namespace shows, read with the same commands a person would use. */
final class HostView {
    private HostView() {
    }

    static Set<String> namespaceNames() {
        return Commands.run(List.of("ip", "netns", "list")).orThrow().stdout().lines()
                .map(line -> line.strip().split("\\s+")[0])
                .filter(name -> !name.isEmpty())
                .collect(Collectors.toSet());
    }

    /** {@code ip -o link} of the root namespace: every interface with its flags, state and address. */
    static String rootLinks() {
        return Commands.run(List.of("ip", "-o", "link")).orThrow().stdout();
    }

    /** A PID that belonged to a process which has exited. */
    static long deadPid() throws Exception {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }
}
