package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loader.BpfLink;
import io.sluice.loader.BpfMap;
import io.sluice.loader.CgroupHook;
import io.sluice.loader.Cgroups;
import io.sluice.loader.MapType;
import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.MapName;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.RequestOutcome;
import io.sluice.testnet.Traffic;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * An upgrade is a restart on newly built objects (the agent loads whatever objects its jar holds). The test builds
 * the programs twice from the working tree with clang, the second time with one constant changed
 * ({@code -DECONNREFUSED=110}: a connect to a frontend without endpoints then fails with ETIMEDOUT instead of
 * ECONNREFUSED), runs the agent on the first build and restarts it on the second through the hidden
 * {@code sluice.bpf.objectDir} setting, while connections keep flowing through the
 * socket path (node) and the per-packet path (pod). No connection fails, a long-lived one keeps echoing, every
 * pinned cgroup link is the same link with a new program in it (never detached: one program per hook throughout),
 * every tc filter is the same handle with the new program, and the new constant is what clients see.
 */
@KernelTest
class AgentUpgradeTest {
    private static final String VIP = "198.18.100.10";
    private static final String EMPTY_VIP = "198.18.100.11";
    private static final Map<String, CgroupHook> SOCKET_PROGRAMS = Map.of(
            "sock_connect4", CgroupHook.INET4_CONNECT, "sock_sendmsg4", CgroupHook.UDP4_SENDMSG,
            "sock_recvmsg4", CgroupHook.UDP4_RECVMSG, "sock_getpeername4", CgroupHook.INET4_GETPEERNAME);
    private static final List<String> POD_INTERFACES = List.of("lxc-a", "lxc-b", "lxc-client");

    @Test
    void restartingOnANewlyBuiltObjectSwapsTheProgramsInPlaceAndDropsNothing() throws Exception {
        Path objects = Files.createTempDirectory("sluice-objects-");
        try (AgentNode net = new AgentNode()) {
            Path current = build(objects.resolve("current"), "");
            Path upgrade = build(objects.resolve("upgrade"), "-DECONNREFUSED=110");
            net.startNameListeners();
            net.startEchoListeners();
            net.manifest("web.yaml", AgentServiceTrafficTest.service()
                    + AgentServiceTrafficTest.slice(AgentNode.BACKEND_A, AgentNode.BACKEND_B) + "---\n" + emptyService());
            Process old = net.startAgent(Map.of("SLUICE_JAVA_OPTS", "-Dsluice.bpf.objectDir=" + current), "--manifests",
                    net.manifests.toString());

            assertThat(Traffic.tcpRequest(net.node.inCgroup(net.cgroup), EMPTY_VIP, 80, Duration.ofSeconds(10)))
                    .as("a frontend without endpoints, current programs").isInstanceOf(RequestOutcome.Refused.class);
            Map<String, BpfLink.Info> linksBefore = links(net);
            Map<String, Integer> filtersBefore = tcFilters(net);
            Map<Lb4Key, Lb4Service> servicesBefore = services(net);

            try (NetworkNamespace clientNs = NetworkNamespace.named(net.client.name());
                 Socket longLived = clientNs.call(() -> connect(VIP, 90))) {
                assertEchoes(longLived, "before");
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger fromPod = new AtomicInteger();
                AtomicInteger fromNode = new AtomicInteger();
                List<String> failures = new CopyOnWriteArrayList<>();
                Thread podStream = Thread.ofPlatform().start(() -> clientNs.run(() -> {
                    while (running.get()) {
                        try (Socket s = connect(VIP, 80)) {
                            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                            if (line != null && line.startsWith("backend-")) {
                                fromPod.incrementAndGet();
                            } else {
                                failures.add("pod: answer " + line);
                            }
                        } catch (IOException e) {
                            failures.add("pod: " + e);
                        }
                    }
                    return null;
                }));
                Thread nodeStream = Thread.ofPlatform().start(() -> {
                    while (running.get()) {
                        RequestOutcome outcome = Traffic.tcpRequest(net.node.inCgroup(net.cgroup), VIP, 80, Traffic.DEFAULT_TIMEOUT);
                        if (outcome instanceof RequestOutcome.Answered a && a.line().startsWith("backend-")) {
                            fromNode.incrementAndGet();
                        } else {
                            failures.add("node: " + outcome);
                        }
                    }
                });

                AgentNode.awaitQuietly(Duration.ofSeconds(1));
                AgentNode.stop(old);
                Path retired = net.pins.resolve("maps").resolve("policy4");
                try (BpfMap earlierPolicyTrie = BpfMap.create(MapType.LPM_TRIE, "policy4", 16, 4, 16, 1)) {
                    earlierPolicyTrie.pin(retired);
                }
                Process upgraded = net.startAgent(Map.of("SLUICE_JAVA_OPTS", "-Dsluice.bpf.objectDir=" + upgrade), "--manifests",
                        net.manifests.toString());
                AgentNode.awaitQuietly(Duration.ofSeconds(1));
                running.set(false);
                podStream.join(10_000);
                nodeStream.join(10_000);

                System.out.printf("upgrade: %d connections from the pod, %d from the node, %d failed%n",
                        fromPod.get(), fromNode.get(), failures.size());
                assertThat(failures).as("failed connections during the upgrade").isEmpty();
                assertThat(fromPod.get()).isGreaterThan(20);
                assertThat(fromNode.get()).isGreaterThan(5);
                assertEchoes(longLived, "after the upgrade");
                assertThat(retired).as("the map an earlier agent pinned and this one no longer uses").doesNotExist();
                assertThat(net.logOf(upgraded)).contains("not from the jar").contains("replaced sock_connect4 in its pinned link");
            }

            Map<String, BpfLink.Info> linksAfter = links(net);
            for (String program : SOCKET_PROGRAMS.keySet()) {
                BpfLink.Info before = linksBefore.get(program);
                BpfLink.Info after = linksAfter.get(program);
                assertThat(after.id()).as("%s: the same pinned link", program).isEqualTo(before.id());
                assertThat(after.programId()).as("%s: a new program in it", program).isNotEqualTo(before.programId());
                assertThat(Cgroups.attachedProgramIds(net.cgroup.path(), SOCKET_PROGRAMS.get(program)))
                        .as("%s: the only program on its hook", program).containsExactly(after.programId());
            }
            Map<String, Integer> filtersAfter = tcFilters(net);
            assertThat(filtersAfter.keySet()).as("one Sluice filter per pod interface and direction, at the same handle")
                    .isEqualTo(filtersBefore.keySet());
            filtersAfter.forEach((filter, id) ->
                    assertThat(id).as("%s: a new program", filter).isNotEqualTo(filtersBefore.get(filter)));
            assertThat(services(net)).as("the services map").isEqualTo(servicesBefore);
            assertThat(Traffic.tcpRequest(net.node.inCgroup(net.cgroup), EMPTY_VIP, 80, Duration.ofSeconds(10)))
                    .as("a frontend without endpoints, upgraded programs")
                    .isInstanceOfSatisfying(RequestOutcome.TimedOut.class,
                            t -> assertThat(t.detail()).contains("Connection timed out"));
        } finally {
            try (var files = Files.walk(objects)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Builds sluice_sock and sluice_pod from the working tree with bpf-progs' own Makefile (its flags stay the only
     * copy) into {@code dir}, through a clang wrapper that adds {@code define}. Both agents load objects built here,
     * from the same sources, so the two builds differ only by that constant.
     */
    private static Path build(Path dir, String define) throws Exception {
        Files.createDirectories(dir);
        Path clang = dir.resolve("clang-wrapper");
        Files.writeString(clang, "#!/bin/sh\nexec clang " + define + " \"$@\"\n");
        Files.setPosixFilePermissions(clang, PosixFilePermissions.fromString("rwx------"));
        List<String> command = List.of("make", "--no-print-directory", "-j2", "-C", AgentNode.ROOT.resolve("bpf-progs").toString(),
                "OUT=" + dir, "TEST_OUT=" + dir.resolve("unused"), "CLANG=" + clang,
                dir.resolve("sluice_sock.bpf.o").toString(), dir.resolve("sluice_pod.bpf.o").toString());
        Process make = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(make.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(make.exitValue()).as("building the objects with '%s':\n%s", define, output).isZero();
        return dir;
    }

    /** Each socket program's pinned link, as the kernel describes it. */
    private static Map<String, BpfLink.Info> links(AgentNode net) {
        Map<String, BpfLink.Info> links = new LinkedHashMap<>();
        for (String program : SOCKET_PROGRAMS.keySet()) {
            try (BpfLink link = BpfLink.openPinned(net.pins.resolve("links").resolve(program))) {
                links.put(program, link.info());
            }
        }
        return links;
    }

    private static final Pattern SLUICE_FILTER = Pattern.compile("pref 81 bpf chain 0 handle 0x51 .*? id (\\d+)");

    /** Program id of the Sluice filter (handle 0x51, priority 0x51) per pod interface and direction. */
    private static Map<String, Integer> tcFilters(AgentNode net) {
        Map<String, Integer> filters = new LinkedHashMap<>();
        for (String ifname : POD_INTERFACES) {
            for (String direction : List.of("ingress", "egress")) {
                String shown = net.node.exec("tc", "filter", "show", "dev", ifname, direction).orThrow().stdout();
                Matcher m = SLUICE_FILTER.matcher(shown);
                List<Integer> ids = new ArrayList<>();
                while (m.find()) {
                    ids.add(Integer.parseInt(m.group(1)));
                }
                assertThat(ids).as("Sluice filters on %s %s:\n%s", ifname, direction, shown).hasSize(1);
                filters.put(ifname + " " + direction, ids.getFirst());
            }
        }
        return filters;
    }

    private static Map<Lb4Key, Lb4Service> services(AgentNode net) {
        try (BpfMap map = BpfMap.openPinned(net.pins.resolve("maps").resolve(MapName.LB4_SERVICES.cName()));
             TypedMap<Lb4Key, Lb4Service> typed = new TypedMap<>(map, Lb4Key.CODEC, Lb4Service.CODEC)) {
            return typed.entries();
        }
    }

    private static Socket connect(String ip, int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(ip, port), 2000);
        s.setSoTimeout(2000);
        return s;
    }

    private static void assertEchoes(Socket s, String when) throws IOException {
        String message = "ping-" + when.replace(' ', '-');
        new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII).println(message);
        String echoed = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        assertThat(echoed).as("the long-lived connection %s", when).isEqualTo(message);
    }

    private static String emptyService() {
        return ServiceManifests.service("empty", EMPTY_VIP, List.of(new ServiceManifests.Port("http", 80, 8080, "TCP")));
    }
}
