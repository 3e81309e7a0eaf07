package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.maps.ConntrackMaps;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.LbScope;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Proc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A backend leaves a service while clients keep connecting: the writer narrows the slots, flushes the flows and
 * affinity of that backend ({@link ConntrackMaps}), then removes it. New connections made after that never fail
 * and never reach it; connections already open to the other backends keep working. On the per-packet path the one
 * connection still in its handshake with the removed backend at the flush may be reset. A UDP flow (same source port,
 * so the same conntrack entry) moves to another backend once the flush is done.
 */
@KernelTest
class BackendRemovalTest extends SharedServiceNode {
    private static final String VIP = "198.18.100.50";
    private static final Pattern EVENT = Pattern.compile(
            "\\{\"kind\": \"(\\w+)\", (?:\"index\": (\\d+), )?(?:\"backend\": \"(\\w+)\", )?\"start\": (\\d+)(?:, \"result\": \"([^\"]*)\")?}");

    @BeforeAll
    void fourBackends() {
        PyTraffic.server(net.web, "tcp:8081:web1", "tcp:8082:web2", "tcp:8083:web3", "tcp:8084:web4",
                "udp:5301:dns1", "udp:5302:dns2");
        for (int id = 1; id <= 4; id++) {
            net.backend(id, ServiceNode.WEB_POD, 8080 + id, IpProtocol.TCP, true);
        }
    }

    @Test
    void perPacketPathNewConnectionsNeverFailAndOpenOnesToOtherBackendsKeepWorking() {
        // The stream's connections are made one at a time: one may be in its handshake with the removed backend
        // when that backend's flows are flushed, and its next packet is then balanced to another backend, which
        // resets it. The socket path translates at connect(), so it has no such connection.
        removeABackendUnderAStream(net.client, ServiceNode.key(VIP, 80, IpProtocol.TCP, LbScope.INTERNAL), 50, 1);
    }

    @Test
    void socketPathNewConnectionsNeverFailAndOpenOnesToOtherBackendsKeepWorking() {
        removeABackendUnderAStream(net.node.inCgroup(net.cgroup), ServiceNode.key(VIP, 81, IpProtocol.TCP, LbScope.INTERNAL), 51, 0);
    }

    private void removeABackendUnderAStream(Netns client, Lb4Key frontend, int serviceId, int inFlightMayFail) {
        net.frontend(frontend, serviceId, 0, 0, List.of(1, 2, 3, 4));
        net.backend(4, ServiceNode.WEB_POD, 8084, IpProtocol.TCP, true);
        Proc stream = PyTraffic.clientAsync(client, "stream", VIP, frontend.port(), 8, 3, 10);
        awaitNewConnections(stream, 30);

        net.frontend(frontend, serviceId, 0, 0, List.of(1, 2, 3));
        long narrowed = System.nanoTime();
        ConntrackMaps.Flushed flushed = net.flows.flushServiceBackend(serviceId, 4);
        net.services.removeBackend(4);
        long updated = System.nanoTime();

        assertThat(stream.awaitExit(Duration.ofSeconds(20))).as("the stream ends").isTrue();
        assertThat(stream.exitCode()).as("stream client: %s", stream.stderr()).hasValue(0);
        List<Event> events = stream.stdout().lines().map(BackendRemovalTest::parse).toList();
        List<Event> before = events.stream().filter(e -> e.kind.equals("new") && e.start < updated).toList();
        List<Event> after = events.stream().filter(e -> e.kind.equals("new") && e.start > updated).toList();
        Map<Integer, String> longLived = events.stream().filter(e -> e.kind.equals("long"))
                .collect(Collectors.toMap(e -> e.index, e -> e.backend));
        List<Event> pingsToRemaining = events.stream()
                .filter(e -> e.kind.equals("ping") && !longLived.get(e.index).equals("web4")).toList();
        System.out.printf("backend removal under a stream: %d new connections before, %d after; long-lived on %s;"
                + " %d pings to remaining backends; flushed %s%n", before.size(), after.size(), longLived.values(),
                pingsToRemaining.size(), flushed);

        List<Event> failedBefore = before.stream().filter(e -> !e.result.startsWith("web")).toList();
        assertThat(failedBefore).as("new connections before the update that failed: at most the one in flight")
                .hasSizeLessThanOrEqualTo(inFlightMayFail);
        if (!failedBefore.isEmpty()) {
            // Made one at a time, the one in flight at the flush is the last one started before the narrowed slots
            // (any later one went to the remaining backends).
            assertThat(failedBefore.getFirst()).as("the failed connection is the last one started before the slots narrowed")
                    .isEqualTo(before.stream().filter(e -> e.start < narrowed).reduce((x, y) -> y).orElseThrow());
        }
        assertThat(after.size()).as("new connections after the update").isGreaterThan(50);
        assertThat(after).as("new connections after the update").allSatisfy(e -> assertThat(e.result).matches("web[123] .*"));
        assertThat(pingsToRemaining).as("open connections to the remaining backends").isNotEmpty()
                .allSatisfy(e -> assertThat(e.result).isEqualTo(longLived.get(e.index)));
    }

    /** Waits until the stream has made {@code count} new connections (its long-lived ones are open by then). */
    private static void awaitNewConnections(Proc stream, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (stream.stdout().lines().filter(line -> line.contains("\"new\"")).count() < count) {
            assertThat(stream.isAlive()).as("stream client alive: %s", stream.stderr()).isTrue();
            assertThat(System.nanoTime()).as("stream started in time").isLessThan(deadline);
            PyTraffic.sleep(Duration.ofMillis(20));
        }
    }

    @Test
    void aUdpFlowMovesOffABackendThatLeftTheServiceOnceItsFlowsAreFlushed() {
        net.backend(11, ServiceNode.WEB_POD, 5301, IpProtocol.UDP, true);
        net.backend(12, ServiceNode.WEB_POD, 5302, IpProtocol.UDP, true);
        Lb4Key frontend = ServiceNode.key(VIP, 53, IpProtocol.UDP, LbScope.INTERNAL);
        net.frontend(frontend, 52, 0, 0, List.of(11));
        assertThat(datagramFromPort40123()).isEqualTo("dns1");

        // dns1 leaves this service but stays a backend (another service may use it): its flow is still tracked.
        net.frontend(frontend, 52, 0, 0, List.of(12));
        assertThat(datagramFromPort40123()).as("before the flush: the tracked flow").isEqualTo("dns1");

        ConntrackMaps.Flushed flushed = net.flows.flushServiceBackend(52, 11);

        assertThat(flushed.conntrackEntries()).as("forward and reply entry").isEqualTo(2);
        assertThat(datagramFromPort40123()).as("after the flush").isEqualTo("dns2");
    }

    @Test
    void aUdpFlowMovesOffARemovedBackend() {
        net.backend(13, ServiceNode.WEB_POD, 5301, IpProtocol.UDP, true);
        net.backend(14, ServiceNode.WEB_POD, 5302, IpProtocol.UDP, true);
        Lb4Key frontend = ServiceNode.key(VIP, 54, IpProtocol.UDP, LbScope.INTERNAL);
        net.frontend(frontend, 53, 0, 0, List.of(13));
        assertThat(datagramFrom(frontend.port(), 40124)).isEqualTo("dns1");

        net.frontend(frontend, 53, 0, 0, List.of(14));
        assertThat(net.flows.flushBackend(13).conntrackEntries()).isEqualTo(2);
        net.services.removeBackend(13);

        assertThat(datagramFrom(frontend.port(), 40124)).isEqualTo("dns2");
    }

    private String datagramFromPort40123() {
        return datagramFrom(53, 40123);
    }

    /** One datagram from the client pod's {@code sourcePort}: the same flow each time. Returns the backend's name. */
    private String datagramFrom(int port, int sourcePort) {
        List<String> answer = PyTraffic.client(net.client, Duration.ofSeconds(10), "udpflow", VIP, port, sourcePort);
        assertThat(answer).hasSize(1);
        return answer.getFirst().split(" ")[0];
    }

    private record Event(String kind, int index, String backend, long start, String result) {
    }

    private static Event parse(String line) {
        Matcher m = EVENT.matcher(line);
        if (!m.matches()) {
            throw new IllegalArgumentException("unexpected stream output: " + line);
        }
        return new Event(m.group(1), m.group(2) == null ? -1 : Integer.parseInt(m.group(2)), m.group(3),
                Long.parseLong(m.group(4)), m.group(5));
    }
}
