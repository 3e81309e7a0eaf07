package io.sluice.labrun;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testnet.KernelTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's first command with the real agents: {@code bin/sluice lab up} brings up two nodes from the shipped
 * manifests, every service frontend answers the traffic generator, {@code probe -o json} gives the matrix, and
 * {@code lab down} leaves no namespace behind. (The lab module's own tests run against a stand-in agent.)
 */
@KernelTest
class LabWithAgentsTest {
    private static final Path ROOT = Path.of(System.getenv().getOrDefault("SLUICE_REPO_ROOT", "..")).toAbsolutePath().normalize();
    private static final String LAB = "lbt" + ProcessHandle.current().pid();

    @Test
    void theShippedLabServesEveryServiceWithRealAgents() throws Exception {
        try {
            Run up = sluice(300, "lab", "up", "--name", LAB, "--nodes", "2", "--watch", "4");
            assertThat(up.exit()).as("lab up exit code; output:%n%s", up.output()).isZero();
            List<String> traffic = section(up.output(), "TRAFFIC");
            assertThat(traffic).as("traffic rows").hasSizeGreaterThanOrEqualTo(4);
            // The generator runs in x/a; y admits only namespace x on TCP 80, so y's port-81 Maglev service is
            // policed away; every other frontend is answered by a backend the policies let x/a reach.
            for (String row : traffic) {
                if (row.startsWith("y/maglev")) {
                    assertThat(row).as("policed frontend").contains("timed out").doesNotContainPattern("\\s[xyz]/[abc] \\d+");
                } else {
                    assertThat(row).as("a frontend that connections reached").containsPattern("\\s[xyz]/[abc] \\d+");
                }
            }

            Run probe = sluice(120, "lab", "probe", "--name", LAB, "-o", "json");
            assertThat(probe.exit()).as("probe exit code; output:%n%s", probe.output()).isZero();
            assertThat(probe.output().strip()).isEqualTo(expectedMatrix());
        } finally {
            Run down = sluice(120, "lab", "down", "--name", LAB);
            assertThat(down.exit()).as("lab down; output:%n%s", down.output()).isZero();
            assertThat(run(10, "ip", "netns", "list").output()).as("namespaces left").doesNotContain(LAB);
        }
    }

    /**
     * The reachability lab/manifests/30-networkpolicies.yaml asks for: nothing reaches z; y admits only namespace x on
     * TCP 80; x/a admits only x/b; a pod always reaches itself (loopback never meets a policy). In probe's JSON form.
     */
    private static String expectedMatrix() {
        List<String> pods = List.of("x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c");
        StringBuilder json = new StringBuilder("{");
        List<String> ports = List.of("TCP/80", "TCP/81", "UDP/80", "UDP/81");
        for (int p = 0; p < ports.size(); p++) {
            String port = ports.get(p);
            json.append(p == 0 ? "" : ", ").append('"').append(port).append("\": {");
            for (int f = 0; f < pods.size(); f++) {
                String from = pods.get(f);
                json.append(f == 0 ? "" : ", ").append('"').append(from).append("\": {");
                for (int t = 0; t < pods.size(); t++) {
                    String to = pods.get(t);
                    boolean reached = from.equals(to)
                            || (to.startsWith("y/") ? from.startsWith("x/") && port.equals("TCP/80")
                            : to.startsWith("z/") ? false
                            : !to.equals("x/a") || from.equals("x/b"));
                    json.append(t == 0 ? "" : ", ").append('"').append(to).append("\": ").append(reached);
                }
                json.append('}');
            }
            json.append('}');
        }
        return json.append('}').toString();
    }

    /** The table rows under a heading of lab up's view, up to the next blank line (header skipped). */
    private static List<String> section(String output, String heading) {
        List<String> rows = new ArrayList<>();
        boolean in = false;
        boolean header = false;
        for (String line : output.split("\n")) {
            if (line.startsWith(heading)) {
                in = true;
                header = true;
            } else if (in && line.isBlank()) {
                break;
            } else if (in && header) {
                header = false;
            } else if (in) {
                rows.add(line);
            }
        }
        return rows;
    }

    private record Run(int exit, String output) {
    }

    private static Run sluice(int timeoutSeconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/sluice").toString()));
        command.addAll(List.of(args));
        return run(timeoutSeconds, command.toArray(String[]::new));
    }

    private static Run run(int timeoutSeconds, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end in " + timeoutSeconds + " s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
