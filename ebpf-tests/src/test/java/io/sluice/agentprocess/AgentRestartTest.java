package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loader.BpfMap;
import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.Codec;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.MapName;
import io.sluice.maps.TypedMap;
import io.sluice.testnet.KernelTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Invariant 3 of DESIGN.md: killing the agent with SIGKILL and starting it again drops no connection. A steady
 * stream of new connections from a pod sees no failure, long-lived connections keep echoing, and the restarted
 * agent finds the maps as they should be and rewrites nothing.
 */
@KernelTest
class AgentRestartTest {
    private static final String VIP = "198.18.100.10";

    @Test
    void sigkillAndRestartDropNothing() throws Exception {
        try (AgentNode net = new AgentNode()) {
            net.startNameListeners();
            net.startEchoListeners();
            net.manifest("web.yaml", AgentServiceTrafficTest.service()
                    + AgentServiceTrafficTest.slice(AgentNode.BACKEND_A, AgentNode.BACKEND_B));
            Process first = net.startAgent();

            try (NetworkNamespace clientNs = NetworkNamespace.named(net.client.name())) {
                List<Socket> longLived = clientNs.call(() -> {
                    List<Socket> sockets = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        Socket s = new Socket();
                        s.connect(new InetSocketAddress(VIP, 90), 2000);
                        s.setSoTimeout(3000);
                        sockets.add(s);
                    }
                    return sockets;
                });
                try {
                    assertEchoes(longLived, "before");
                    Map<Lb4Key, Lb4Service> servicesBefore = pinned(net.pins, MapName.LB4_SERVICES, Lb4Key.CODEC, Lb4Service.CODEC);
                    Map<Integer, Lb4Backend> backendsBefore = pinned(net.pins, MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC);
                    assertThat(servicesBefore).hasSize(2);
                    assertThat(serviceUpdates(net.httpGet("/metrics"))).as("service entries the first agent wrote").isEqualTo(2);

                    AtomicBoolean running = new AtomicBoolean(true);
                    AtomicInteger ok = new AtomicInteger();
                    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
                    Thread stream = Thread.ofPlatform().start(() -> clientNs.run(() -> {
                        while (running.get()) {
                            try (Socket s = new Socket()) {
                                s.connect(new InetSocketAddress(VIP, 80), 2000);
                                s.setSoTimeout(2000);
                                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                                if (line != null && line.startsWith("backend-")) {
                                    ok.incrementAndGet();
                                } else {
                                    failures.add("answer " + line);
                                }
                            } catch (Exception e) {
                                failures.add(e.toString());
                            }
                        }
                        return null;
                    }));

                    AgentNode.awaitQuietly(Duration.ofSeconds(1));
                    AgentNode.kill9(first);
                    AgentNode.awaitQuietly(Duration.ofSeconds(2));
                    assertEchoes(longLived, "while no agent runs");
                    net.startAgent();
                    AgentNode.awaitQuietly(Duration.ofSeconds(1));
                    running.set(false);
                    stream.join(10_000);

                    System.out.printf("restart: %d connections during kill and restart, %d failed%n", ok.get(), failures.size());
                    assertThat(failures).as("failed connections during kill and restart").isEmpty();
                    assertThat(ok.get()).isGreaterThan(20);
                    assertEchoes(longLived, "after the restart");
                    assertThat(pinned(net.pins, MapName.LB4_SERVICES, Lb4Key.CODEC, Lb4Service.CODEC)).isEqualTo(servicesBefore);
                    assertThat(pinned(net.pins, MapName.LB4_BACKENDS, Codec.UINT32, Lb4Backend.CODEC)).isEqualTo(backendsBefore);
                    assertThat(serviceUpdates(net.httpGet("/metrics"))).as("service entries the restarted agent wrote").isZero();
                } finally {
                    for (Socket s : longLived) {
                        s.close();
                    }
                }
            }
        }
    }

    private static void assertEchoes(List<Socket> sockets, String when) throws Exception {
        for (int i = 0; i < sockets.size(); i++) {
            Socket s = sockets.get(i);
            PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
            String message = "ping-" + i + "-" + when.replace(' ', '-');
            out.println(message);
            String echoed = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertThat(echoed).as("long-lived connection %d %s", i, when).isEqualTo(message);
        }
    }

    /** The value of sluice_map_operations_total for updates of lb4_services; 0 when the series does not exist. */
    private static double serviceUpdates(String metrics) {
        assertThat(metrics).contains("sluice_");
        return metrics.lines()
                .filter(l -> l.startsWith("sluice_map_operations_total{") && l.contains("map=\"lb4_services\"")
                        && l.contains("op=\"update\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static <K, V> Map<K, V> pinned(Path pins, MapName name, Codec<K> key, Codec<V> value) {
        try (BpfMap map = BpfMap.openPinned(pins.resolve("maps").resolve(name.cName()));
             TypedMap<K, V> typed = new TypedMap<>(map, key, value)) {
            return typed.entries();
        }
    }
}
