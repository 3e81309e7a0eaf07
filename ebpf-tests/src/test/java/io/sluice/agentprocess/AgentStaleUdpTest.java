package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A backend deleted from a UDP Service's EndpointSlice, through the agent run as users run it: UDP clients that keep
 * sending move off it. On the per-packet path (a pod outside the socket cgroup, one flow from a fixed source port)
 * the agent flushes the flow's conntrack entries, so the next datagram is balanced again: no datagram is lost after
 * the flow moved beyond the one in flight. On the socket path (a pod process inside the socket cgroup, connected
 * sockets) the agent destroys the sockets sent to the deleted backend: the socket is disconnected with the error
 * ECONNABORTED pending, so a client that sends first sees EDESTADDRREQ (no longer connected) and ECONNABORTED at its
 * next receive; once it connects again it reaches the remaining backend. A reply the deleted backend sent before the
 * deletion and the client had not yet read is still delivered once, after the error. Established TCP to the remaining backend and UDP sockets on it never fail.
 */
@KernelTest
class AgentStaleUdpTest {
    private static final String VIP = "198.18.100.20";

    /** Arguments: NAME. Answers each UDP datagram on 5353 and each line on TCP 8080 with "NAME". */
    private static final String BACKEND = """
            import selectors
            import socket
            import sys

            name = sys.argv[1].encode() + b'\\n'
            sel = selectors.DefaultSelector()
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(('0.0.0.0', 5353))
            sel.register(u, selectors.EVENT_READ, 'udp')
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind(('0.0.0.0', 8080))
            t.listen(64)
            sel.register(t, selectors.EVENT_READ, 'listen')
            print('ready', flush=True)
            while True:
                for key, _ in sel.select():
                    s = key.fileobj
                    if key.data == 'udp':
                        data, peer = s.recvfrom(4096)
                        s.sendto(name, peer)
                    elif key.data == 'listen':
                        c, _ = s.accept()
                        sel.register(c, selectors.EVENT_READ, 'conn')
                    else:
                        data = s.recv(4096)
                        if not data:
                            sel.unregister(s)
                            s.close()
                        else:
                            s.send(name * data.count(b'\\n'))
            """;

    /**
     * Arguments: MODE VIP STOP. MODE "packet": one UDP socket bound to source port 40555 and TCP connections to
     * VIP:80 until both backends answered one; MODE "socket": connected UDP sockets to VIP:53 until both backends
     * answered one. Every 20 ms each UDP socket sends a datagram and waits up to 3 s (a busy CI machine can stall a
     * process for a second): "udp INDEX BACKEND" or "udp INDEX timeout"; an error is printed ("udp INDEX ERRNO") and the socket connects again. In packet mode each
     * TCP connection then asks too: "tcp INDEX FIRST-BACKEND ANSWER". Prints "ready" after the set-up; ends once the
     * file STOP exists.
     */
    private static final String CLIENT = """
            import errno
            import os
            import socket
            import sys
            import time

            mode, vip, stop = sys.argv[1:4]


            def udp_socket():
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(3)
                if mode == 'packet':
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(('0.0.0.0', 40555))
                s.connect((vip, 53))
                return s


            def ask_udp(s):
                s.send(b'x')
                return s.recv(4096).decode().strip()


            def ask_tcp(c):
                c.sendall(b'x\\n')
                line = b''
                while not line.endswith(b'\\n'):
                    chunk = c.recv(4096)
                    if not chunk:
                        return 'closed'
                    line += chunk
                return line.decode().strip()


            udp, tcp = [], []
            if mode == 'packet':
                udp.append(udp_socket())
                seen = set()
                while len(seen) < 2 and len(tcp) < 32:
                    c = socket.create_connection((vip, 80), timeout=5)
                    name = ask_tcp(c)
                    tcp.append((c, name))
                    seen.add(name)
            else:
                seen = set()
                while len(seen) < 2 and len(udp) < 32:
                    s = udp_socket()
                    seen.add(ask_udp(s))
                    udp.append(s)
            print('ready', flush=True)
            print('ready with %d UDP sockets and %d TCP connections' % (len(udp), len(tcp)), file=sys.stderr, flush=True)
            while not os.path.exists(stop):
                for i, s in enumerate(udp):
                    try:
                        print('udp %d %s' % (i, ask_udp(s)), flush=True)
                    except socket.timeout:
                        print('udp %d timeout' % i, flush=True)
                    except OSError as e:
                        print('udp %d %s' % (i, errno.errorcode.get(e.errno, str(e.errno))), flush=True)
                        s.connect((vip, 53))
                for i, (c, first) in enumerate(tcp):
                    try:
                        answer = ask_tcp(c)
                    except OSError as e:
                        answer = errno.errorcode.get(e.errno, 'timeout')
                    print('tcp %d %s %s' % (i, first, answer), flush=True)
                time.sleep(0.02)
            """;

    @Test
    void udpClientsMoveOffABackendDeletedFromTheEndpointSlice() throws Exception {
        Path stop = Files.createTempFile("sluice-agent-udp", ".stop");
        Files.delete(stop);
        try (AgentNode net = new AgentNode()) {
            awaitReady(net.backendA.spawn(python(), "-c", BACKEND, "backend-a"));
            awaitReady(net.backendB.spawn(python(), "-c", BACKEND, "backend-b"));
            net.manifest("dns.yaml", service() + slice(AgentNode.BACKEND_A, AgentNode.BACKEND_B));
            Process agent = net.startAgent();

            Proc packet = startClient(net.client, "packet", stop);
            Proc socket = startClient(net.client.inCgroup(net.cgroup), "socket", stop);
            String flowBackend = awaitAnswers(packet, 10);
            awaitAnswers(socket, 10);
            String remaining = flowBackend.equals("backend-a") ? "backend-b" : "backend-a";
            String remainingAddress = remaining.equals("backend-a") ? AgentNode.BACKEND_A : AgentNode.BACKEND_B;

            net.manifest("dns.yaml", service() + slice(remainingAddress));
            awaitMovedTo(packet, remaining);
            awaitMovedTo(socket, remaining);
            // Some more rounds on the remaining backend, then stop.
            while (packet.stdout().lines().filter(l -> l.equals("udp 0 " + remaining)).count() < 30) {
                assertThat(packet.isAlive()).as("packet client: %s", packet.stderr()).isTrue();
                AgentNode.awaitQuietly(Duration.ofMillis(50));
            }
            Files.createFile(stop);
            List<String> packetLines = finish(packet);
            List<String> socketLines = finish(socket);
            String metrics = net.httpGet("/metrics");
            System.out.printf("agent, UDP backend %s deleted: per-packet flow %s; sockets %s%n", flowBackend,
                    summary(packetLines, "udp 0 "), summary(socketLines, "udp "));

            // Per-packet path: the flow's answers are FLOW... [one lost in flight at most] REMAINING..., nothing after.
            List<String> flow = packetLines.stream().filter(l -> l.startsWith("udp 0 ")).map(l -> l.substring(6)).toList();
            int firstMoved = flow.indexOf(remaining);
            assertThat(flow.subList(0, firstMoved)).as("the flow before it moved").isNotEmpty()
                    .allSatisfy(a -> assertThat(a).isIn(flowBackend, "timeout"));
            assertThat(flow.subList(0, firstMoved).stream().filter("timeout"::equals).count())
                    .as("datagrams lost while the flow moved (the one in flight)").isLessThanOrEqualTo(1);
            assertThat(flow.subList(firstMoved, flow.size())).as("after the flow moved: every datagram answered")
                    .hasSizeGreaterThanOrEqualTo(30).containsOnly(remaining);
            List<String> tcpToRemaining = packetLines.stream().filter(l -> l.startsWith("tcp ") && l.contains(" " + remaining + " "))
                    .toList();
            assertThat(tcpToRemaining).as("established TCP to the remaining backend, every round").isNotEmpty()
                    .allSatisfy(l -> assertThat(l).endsWith(" " + remaining));

            // Socket path: each socket sent to the deleted backend fails once with ECONNABORTED, then the remaining one.
            Map<String, List<String>> bySocket = socketLines.stream().filter(l -> l.startsWith("udp "))
                    .collect(Collectors.groupingBy(l -> l.split(" ")[1], Collectors.mapping(l -> l.split(" ")[2], Collectors.toList())));
            List<String> onDeleted = new ArrayList<>();
            bySocket.forEach((index, answers) -> {
                if (answers.getFirst().equals(flowBackend)) {
                    onDeleted.add(index);
                    int firstError = answers.indexOf(answers.stream().filter(a -> a.startsWith("E")).findFirst()
                            .orElseThrow(() -> new AssertionError("socket " + index + " never failed: " + answers)));
                    int firstRemaining = answers.indexOf(remaining);
                    assertThat(answers.subList(0, firstError)).as("socket %s before", index).containsOnly(flowBackend);
                    List<String> failures = answers.subList(firstError, firstRemaining);
                    // A reply already queued when the socket was destroyed is read after the error, which the kernel
                    // reports first: the answer to the datagram sent before the deletion, read once the client has
                    // connected again. Only directly after that first ECONNABORTED: a later one was sent after it.
                    if (failures.equals(List.of("ECONNABORTED", flowBackend))) {
                        failures = failures.subList(0, 1);
                    }
                    assertThat(failures).as("socket %s: its failures", index)
                            .hasSizeBetween(1, 2).contains("ECONNABORTED").isSubsetOf("ECONNABORTED", "EDESTADDRREQ");
                    assertThat(answers.subList(firstRemaining, answers.size())).as("socket %s after", index)
                            .hasSizeGreaterThanOrEqualTo(5).containsOnly(remaining);
                } else {
                    assertThat(answers).as("socket %s on the remaining backend", index).containsOnly(remaining);
                }
            });
            assertThat(onDeleted).as("sockets on the deleted backend").isNotEmpty();
            assertThat(metrics).contains("sluice_stale_sockets_destroyed_total " + onDeleted.size() + ".0");
            assertThat(net.logOf(agent)).doesNotContain("ERROR").doesNotContain("destroying connected UDP sockets");
        } finally {
            Files.deleteIfExists(stop);
        }
    }

    private static Proc startClient(Netns ns, String mode, Path stop) {
        Proc proc = ns.spawn(python(), "-c", CLIENT, mode, VIP, stop.toString());
        awaitReady(proc);
        return proc;
    }

    private static void awaitReady(Proc proc) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!proc.stdout().contains("ready")) {
            assertThat(proc.isAlive()).as("%s: %s", proc.command(), proc.stderr()).isTrue();
            assertThat(System.nanoTime()).as("ready in time: %s", proc.stderr()).isLessThan(deadline);
            AgentNode.awaitQuietly(Duration.ofMillis(20));
        }
    }

    /** Waits for {@code count} UDP answers; returns the backend of the first. */
    private static String awaitAnswers(Proc proc, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<String> answers = proc.stdout().lines().filter(l -> l.startsWith("udp ") && l.contains(" backend-")).toList();
            if (answers.size() >= count) {
                return answers.getFirst().split(" ")[2];
            }
            assertThat(proc.isAlive()).as("client: %s", proc.stderr()).isTrue();
            assertThat(System.nanoTime()).as("%d answers in time: %s", count, proc.stdout()).isLessThan(deadline);
            AgentNode.awaitQuietly(Duration.ofMillis(20));
        }
    }

    /** Waits until every UDP socket of the client has been answered by {@code backend} since the last change. */
    private static void awaitMovedTo(Proc proc, String backend) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Map<String, String> last = proc.stdout().lines().filter(l -> l.startsWith("udp "))
                    .collect(Collectors.toMap(l -> l.split(" ")[1], l -> l.split(" ")[2], (a, b) -> b));
            if (!last.isEmpty() && last.values().stream().allMatch(backend::equals)) {
                return;
            }
            assertThat(proc.isAlive()).as("client: %s", proc.stderr()).isTrue();
            assertThat(System.nanoTime()).as("moved to %s in time: %s", backend, last).isLessThan(deadline);
            AgentNode.awaitQuietly(Duration.ofMillis(50));
        }
    }

    private static List<String> finish(Proc proc) {
        assertThat(proc.awaitExit(Duration.ofSeconds(20))).as("client ends: %s", proc.stderr()).isTrue();
        assertThat(proc.exitCode()).as("client exit: %s", proc.stderr()).hasValue(0);
        return proc.stdout().lines().toList();
    }

    /** Runs of equal answers, e.g. {@code [backend-a x41, timeout x1, backend-b x60]}. */
    private static List<String> summary(List<String> lines, String prefix) {
        List<String> runs = new ArrayList<>();
        String previous = null;
        int count = 0;
        for (String line : lines) {
            if (!line.startsWith(prefix)) {
                continue;
            }
            String answer = line.substring(line.lastIndexOf(' ') + 1);
            if (answer.equals(previous)) {
                count++;
                continue;
            }
            if (previous != null) {
                runs.add(previous + " x" + count);
            }
            previous = answer;
            count = 1;
        }
        if (previous != null) {
            runs.add(previous + " x" + count);
        }
        return runs;
    }

    private static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    private static final List<ServiceManifests.Port> PORTS = List.of(new ServiceManifests.Port("dns", 53, 5353, "UDP"),
            new ServiceManifests.Port("http", 80, 8080, "TCP"));

    private static String service() {
        return ServiceManifests.service("dns", VIP, PORTS) + "---\n";
    }

    private static String slice(String... addresses) {
        return ServiceManifests.endpointSlice("dns", PORTS, addresses);
    }
}
