/**
 * Throw-away network topologies for kernel tests: network namespaces joined by veths and bridges,
 * cgroups and bpffs folders with names unique per JVM, traffic helpers (TCP/UDP listeners and
 * requests), a sweeper for leftovers of crashed runs, and {@link io.sluice.testnet.KernelTest}.
 *
 * <p>Safety rules the harness enforces: nothing is ever created in, moved to or changed in the root
 * network namespace (veth pairs are created directly inside test namespaces); interface addresses come
 * from the ranges reserved for benchmarking (198.18.0.0/15, 2001:2::/48); routes must lead to a
 * gateway or device of the same topology; sysctls are written only inside test namespaces; processes
 * are started with argument arrays (never a shell string built from input) and killed by PID.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (var topo = new Topology()) {
 *     Netns client = topo.namespace("client");
 *     Netns server = topo.namespace("server");
 *     topo.veth(client, "eth0", server, "eth0");
 *     topo.address(client, "eth0", "198.18.0.1/24");
 *     topo.address(server, "eth0", "198.18.0.2/24");
 *     Traffic.tcpListener(server, 8080, "server");
 *     assertThat(Traffic.tcpRequest(client, "198.18.0.2", 8080, Duration.ofSeconds(2)))
 *         .isEqualTo(new RequestOutcome.Answered("server"));
 * }
 * }</pre>
 */
package io.sluice.testnet;
