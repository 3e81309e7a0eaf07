package io.sluice.testnet;

import io.sluice.loader.KernelMounts;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@KernelTest
class SweeperTest {

    @Test
    void removesLeftoversOfADeadRunAndKeepsThoseOfLiveOnes() throws Exception {
        long dead = HostView.deadPid();
        assertThat(ProcessHandle.of(dead)).isEmpty();
        String leftoverNs = "slc" + dead + "x1-leftover";
        Path leftoverCgroup = KernelMounts.cgroup2().orElseThrow().resolve("sluice-test").resolve(dead + "-2-leftover");
        Path leftoverPins = KernelMounts.bpffs().orElseThrow().resolve("sluice-test-" + dead + "-3-leftover");
        Process straggler = null;
        try (var live = new Topology()) {
            Netns liveNs = live.namespace("live");
            Cgroup liveCgroup = live.cgroup("live");
            Path livePins = live.bpfDirectory("live");

            Commands.run(List.of("ip", "netns", "add", leftoverNs)).orThrow();
            Files.createDirectories(leftoverCgroup.resolve("nested"));
            Files.createDirectories(leftoverPins.resolve("inner"));
            // A process a crashed run left behind inside its namespace.
            straggler = new ProcessBuilder("ip", "netns", "exec", leftoverNs, "sleep", "60")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            awaitInNamespace(leftoverNs, straggler.pid());

            Sweeper.Report report = Sweeper.sweep();

            assertThat(report.failures()).isEmpty();
            assertThat(report.removed()).contains("namespace " + leftoverNs, "cgroup " + leftoverCgroup,
                    "bpffs folder " + leftoverPins);
            assertThat(HostView.namespaceNames()).doesNotContain(leftoverNs).contains(liveNs.name());
            assertThat(leftoverCgroup).doesNotExist();
            assertThat(leftoverPins).doesNotExist();
            assertThat(straggler.isAlive()).isFalse();
            assertThat(liveCgroup.path()).isDirectory();
            assertThat(livePins).isDirectory();
        } finally {
            if (straggler != null) {
                straggler.destroyForcibly();
            }
            Commands.run(List.of("ip", "netns", "del", leftoverNs));
            Topology.removeCgroupDir(leftoverCgroup.resolve("nested"));
            Topology.removeCgroupDir(leftoverCgroup);
            Topology.deleteTree(leftoverPins);
        }
    }

    private static void awaitInNamespace(String ns, long pid) {
        for (int i = 0; i < 200 && !Topology.namespacePids(ns).contains(Long.toString(pid)); i++) {
            Commands.sleep(java.time.Duration.ofMillis(10));
        }
        assertThat(Topology.namespacePids(ns)).contains(Long.toString(pid));
    }
}
