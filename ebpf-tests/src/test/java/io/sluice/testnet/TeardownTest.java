package io.sluice.testnet;

import io.sluice.loader.KernelMounts;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@KernelTest
class TeardownTest {

    /** Everything one topology made, to check afterwards. */
    private record Made(List<String> namespaces, Path cgroup, Path pins, List<Long> pids) {
    }

    private static Made buildEverything(Topology topo) throws Exception {
        Netns a = topo.namespace("a");
        Netns b = topo.namespace("b");
        topo.veth(a, "eth0", b, "eth0");
        topo.address(a, "eth0", "198.18.0.1/24");
        topo.address(b, "eth0", "198.18.0.2/24");
        Cgroup cgroup = topo.cgroup("clients");
        Path pins = topo.bpfDirectory("pins");
        Files.createDirectory(pins.resolve("nested"));
        Commands.run(List.of("bpftool", "map", "create", pins.resolve("nested").resolve("counts").toString(),
                "type", "array", "key", "4", "value", "8", "entries", "4", "name", "teardown_test")).orThrow();
        Listener listener = Traffic.tcpListener(b, 8080, "b");
        Proc sleeper = a.inCgroup(cgroup).spawn("sleep", "60");
        return new Made(List.of(a.name(), b.name()), cgroup.path(), pins, List.of(listener.proc().pid(), sleeper.pid()));
    }

    private static void assertAllGone(Made made) {
        assertThat(HostView.namespaceNames()).doesNotContainAnyElementsOf(made.namespaces());
        assertThat(made.cgroup()).doesNotExist();
        assertThat(made.pins()).doesNotExist();
        for (long pid : made.pids()) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("process %d", pid).isNotEqualTo(java.util.Optional.of(true));
        }
    }

    @Test
    void closeRemovesNamespacesCgroupsPinFoldersAndProcesses() throws Exception {
        Made made;
        try (var topo = new Topology()) {
            made = buildEverything(topo);
            assertThat(HostView.namespaceNames()).containsAll(made.namespaces());
            assertThat(made.cgroup()).isDirectory();
            assertThat(made.pins().resolve("nested").resolve("counts")).exists();
        }
        assertAllGone(made);
    }

    @Test
    void closeRemovesEverythingAlsoWhenTheTestBodyThrows() {
        Made[] made = new Made[1];
        assertThatThrownBy(() -> {
            try (var topo = new Topology()) {
                made[0] = buildEverything(topo);
                throw new IllegalStateException("test body failed");
            }
        }).hasMessage("test body failed");
        assertAllGone(made[0]);
    }

    @Test
    void rootNamespaceInterfacesAreIdenticalBeforeDuringAndAfter() throws Exception {
        String before = HostView.rootLinks();
        try (var topo = new Topology()) {
            buildEverything(topo);
            Netns sw = topo.namespace("switch");
            topo.veth(topo.namespaces().getFirst(), "eth1", sw, "port1");
            topo.bridge(sw, "br0", "port1");
            assertThat(HostView.rootLinks()).isEqualTo(before);
        }
        assertThat(HostView.rootLinks()).isEqualTo(before);
    }

    @Test
    void closeGoesOnPastAFailedStepAndReportsIt() {
        var topo = new Topology();
        Netns first = topo.namespace("first");
        Netns second = topo.namespace("second");
        Cgroup cgroup = topo.cgroup("kept");
        // Someone removed the second namespace behind the topology's back: its own removal must fail.
        Commands.run(List.of("ip", "netns", "del", second.name())).orThrow();

        assertThatThrownBy(topo::close)
                .isInstanceOf(TeardownException.class)
                .hasMessageContaining("namespace " + second.name());
        assertThat(HostView.namespaceNames()).doesNotContain(first.name());
        assertThat(cgroup.path()).doesNotExist();
    }

    @Test
    void closeIsIdempotentAndTheTopologyRefusesUseAfterIt() {
        var topo = new Topology();
        Netns ns = topo.namespace("once");
        topo.close();
        topo.close();

        assertThat(topo.isClosed()).isTrue();
        assertThatThrownBy(() -> topo.namespace("again")).hasMessageContaining("closed");
        assertThatThrownBy(() -> ns.exec("true")).hasMessageContaining("closed");
    }

    @Test
    void processSpawnedInACgroupRunsInItAndInTheNamespace() throws Exception {
        try (var topo = new Topology()) {
            Netns ns = topo.namespace("worker");
            Cgroup cgroup = topo.cgroup("workers");
            Proc sleeper = ns.inCgroup(cgroup).spawn("sleep", "60");

            Path mount = KernelMounts.cgroup2().orElseThrow();
            String expectedCgroup = "0::/" + mount.relativize(cgroup.path());
            assertThat(Files.readAllLines(Path.of("/proc", Long.toString(sleeper.pid()), "cgroup")))
                    .contains(expectedCgroup);
            assertThat(cgroup.pids()).containsExactly(sleeper.pid());
            awaitExecOf(sleeper, "sleep"); // it joins the cgroup first, then enters the namespace
            assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(sleeper.pid()), "ns", "net")).toString())
                    .isEqualTo("net:[" + Files.getAttribute(ns.path(), "unix:ino") + "]");

            ExecResult inCgroup = ns.inCgroup(cgroup).exec("cat", "/proc/self/cgroup");
            assertThat(inCgroup.orThrow().stdout().lines()).contains(expectedCgroup);
        }
    }

    private static void awaitExecOf(Proc proc, String program) throws Exception {
        Path comm = Path.of("/proc", Long.toString(proc.pid()), "comm");
        for (int i = 0; i < 500 && !Files.readString(comm).strip().equals(program); i++) {
            Commands.sleep(Duration.ofMillis(10));
        }
        assertThat(Files.readString(comm).strip()).isEqualTo(program);
    }

    @Test
    void execKillsACommandThatOutlivesItsTimeout() {
        try (var topo = new Topology()) {
            Netns ns = topo.namespace("slow");

            ExecResult result = ns.exec(Duration.ofMillis(300), "sleep", "30");

            assertThat(result.timedOut()).isTrue();
            assertThat(result.succeeded()).isFalse();
            assertThatThrownBy(result::orThrow).hasMessageContaining("timed out").hasMessageContaining("sleep 30");
            assertThat(ns.exec("ip", "-o", "link").orThrow().stdout()).contains("lo:").contains("UP");
        }
    }
}
