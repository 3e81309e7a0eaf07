package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.datapath.CgroupNetworkNamespaces;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import io.sluice.maps.Ipv6;
import io.sluice.maps.Lb4Backend;
import io.sluice.maps.Lb4Key;
import io.sluice.maps.Lb4Service;
import io.sluice.maps.Lb6Backend;
import io.sluice.maps.Lb6Key;
import io.sluice.maps.LbScope;
import io.sluice.maps.Service6Maps;
import io.sluice.maps.ServiceMaps;
import io.sluice.maps.SockDestroyKey;
import io.sluice.maps.SocketDestroyer;
import io.sluice.testnet.Cgroup;
import io.sluice.testnet.KernelTest;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Proc;
import io.sluice.testnet.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connected UDP sockets that the socket programs sent to a backend which then left the service are destroyed by
 * the UDP socket iterator ({@link SocketDestroyer}), run in the network namespaces of the socket cgroup's processes
 * ({@link CgroupNetworkNamespaces}): their next recv() fails with ECONNABORTED and a new connect() lands on the
 * remaining backend. Sockets of the same process on the other backend, a socket connected to the removed backend's
 * address directly, and a socket in a namespace with no process in the cgroup keep working unchanged. The same for
 * IPv6 sockets to an IPv6 service.
 * <pre>
 *  client 198.18.3.1, 2001:2:0:3::1 ─┐
 *  other  198.18.3.4                ─┼ br0 ─ server 198.18.3.2:    udp 5301 "dnsA" (backend 1), 5302 "dnsB" (backend 2)
 *                                                   2001:2:0:3::2: udp 5303 "dnsA" (backend 3), 5304 "dnsB" (backend 4)
 * </pre>
 */
@KernelTest
class StaleUdpSocketTest {
    private static final String VIP = "198.18.200.53";
    private static final String BACKEND_IP = "198.18.3.2";
    private static final int SERVICE_ID = 9;
    private static final Lb4Key FRONTEND = new Lb4Key(Ipv4.parse(VIP), 53, IpProtocol.UDP, LbScope.INTERNAL);
    private static final String VIP6 = "2001:2:0:103::53";
    private static final String BACKEND_V6 = "2001:2:0:3::2";
    private static final Lb6Key FRONTEND6 = new Lb6Key(Ipv6.parse(VIP6), 53, IpProtocol.UDP, LbScope.INTERNAL);

    /**
     * Arguments: VIP PORT DIRECT_IP DIRECT_PORT WANT TRIGGER KINDS. Opens connected UDP sockets to the service, for
     * each of KINDS in turn until that kind has reached every backend named in WANT: "v4" (IPv4 sockets to VIP),
     * "v6mapped" (dual-stack IPv6 sockets to ::ffff:VIP), "v6" (IPv6 sockets to VIP, then an IPv6 address); plus one
     * to DIRECT_IP:DIRECT_PORT unless DIRECT_IP is '-'; prints "before INDEX KIND BACKEND" for each, then "ready".
     * Once the file TRIGGER exists: for each socket a non-blocking recv() tells whether it was aborted; an open one
     * asks again, an aborted one connects again and asks. Prints "after INDEX KIND BACKEND STATE ANSWER".
     */
    private static final String CLIENT = """
            import errno
            import os
            import socket
            import sys
            import time

            vip, port, direct_ip, direct_port, want, trigger, kinds = sys.argv[1:8]
            port, direct_port, want = int(port), int(direct_port), set(want.split(','))


            def ask(s):
                s.send(b'x\\n')
                return s.recv(4096).decode().split()[0]


            def open_to(family, address, p):
                s = socket.socket(family, socket.SOCK_DGRAM)
                s.settimeout(5)
                s.connect((address, p))
                return s


            socks = []
            families = {'v4': (socket.AF_INET, vip), 'v6mapped': (socket.AF_INET6, '::ffff:' + vip), 'v6': (socket.AF_INET6, vip)}
            for kind in kinds.split(','):
                family, address = families[kind]
                seen = set()
                while not want <= seen and len(socks) < 64:
                    s = open_to(family, address, port)
                    name = ask(s)
                    socks.append((s, kind, name, family, address))
                    seen.add(name)
            if direct_ip != '-':
                s = open_to(socket.AF_INET, direct_ip, direct_port)
                socks.append((s, 'direct', ask(s), socket.AF_INET, direct_ip))
            for i, (s, kind, name, _, _) in enumerate(socks):
                print('before %d %s %s' % (i, kind, name), flush=True)
            print('ready', flush=True)

            deadline = time.time() + 30
            while not os.path.exists(trigger):
                if time.time() > deadline:
                    sys.exit('no trigger within 30 s')
                time.sleep(0.01)
            for i, (s, kind, name, family, address) in enumerate(socks):
                s.setblocking(False)
                try:
                    s.recv(4096)
                    state = 'unexpected-data'
                except BlockingIOError:
                    state = 'open'
                except OSError as e:
                    state = errno.errorcode.get(e.errno, str(e.errno))
                s.settimeout(5)
                if state != 'open':
                    s.connect((address, direct_port if kind == 'direct' else port))
                print('after %d %s %s %s %s' % (i, kind, name, state, ask(s)), flush=True)
            """;

    private Topology topology;
    private Netns client;
    private Netns other;
    private Cgroup pods;
    private Cgroup elsewhere;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private ServiceMaps services;
    private Service6Maps services6;
    private SocketDestroyer destroyer;

    @BeforeEach
    void twoBackendsBehindAUdpServiceOnATestCgroup() {
        topology = new Topology();
        client = topology.namespace("client");
        other = topology.namespace("other");
        Netns server = topology.namespace("server");
        Netns lan = topology.namespace("lan");
        topology.veth(client, "eth0", lan, "to-client");
        topology.veth(other, "eth0", lan, "to-other");
        topology.veth(server, "eth0", lan, "to-server");
        topology.bridge(lan, "br0", "to-client", "to-other", "to-server");
        topology.address(client, "eth0", "198.18.3.1/24");
        topology.address(other, "eth0", "198.18.3.4/24");
        topology.address(server, "eth0", BACKEND_IP + "/24");
        topology.address(client, "eth0", "2001:2:0:3::1/64");
        topology.address(server, "eth0", BACKEND_V6 + "/64");
        pods = topology.cgroup("pods");
        elsewhere = topology.cgroup("elsewhere");
        PyTraffic.server(server, "udp:5301:dnsA", "udp:5302:dnsB", "udp6:5303:dnsA", "udp6:5304:dnsB");

        Path pins = topology.bpfDirectory("maps");
        BpfObject sock = load(BpfObjectFile.SOCK, pins);
        for (String program : List.of("sock_connect4", "sock_sendmsg4", "sock_recvmsg4", "sock_getpeername4",
                "sock_connect6", "sock_sendmsg6", "sock_recvmsg6", "sock_getpeername6")) {
            resources.push(sock.program(program).attachCgroup(pods.path()));
        }
        BpfObject destroy = load(BpfObjectFile.SOCK_DESTROY, pins);
        services = ServiceMaps.of(sock);
        resources.push(services);
        services6 = Service6Maps.of(sock);
        resources.push(services6);
        destroyer = SocketDestroyer.of(destroy);
        resources.push(destroyer);

        services.putBackend(1, new Lb4Backend(Ipv4.parse(BACKEND_IP), 5301, IpProtocol.UDP, 0));
        services.putBackend(2, new Lb4Backend(Ipv4.parse(BACKEND_IP), 5302, IpProtocol.UDP, 0));
        services.putService(FRONTEND, new Lb4Service(SERVICE_ID, 2, 0, 0), List.of(1, 2), 0);
    }

    private BpfObject load(BpfObjectFile file, Path pins) {
        BpfObject object = BpfObject.open(file.bytes(), file.baseName());
        resources.push(object);
        object.pinMapsUnder(pins);
        object.load();
        return object;
    }

    @AfterEach
    void detachAndRemove() throws Exception {
        try (Topology t = topology) {
            while (!resources.isEmpty()) {
                resources.pop().close();
            }
        }
    }

    @Test
    void socketsSentToTheRemovedBackendAreAbortedAndReconnectToTheRemainingOne() throws IOException {
        Path trigger = Files.createTempFile("sluice-stale-udp", ".trigger");
        Files.delete(trigger);
        try {
            Proc inCgroup = start(client.inCgroup(pods), BACKEND_IP, "dnsA,dnsB", trigger);
            Proc outside = start(other.inCgroup(pods), "-", "dnsA", trigger);
            awaitReady(inCgroup);
            awaitReady(outside);
            // The other namespace's only process leaves the socket cgroup: the iterator is not run there.
            Files.writeString(elsewhere.path().resolve("cgroup.procs"), Long.toString(outside.pid()));

            // dnsA (backend 1) leaves the service, as the agent writes it: slots first, then the sockets.
            services.putService(FRONTEND, new Lb4Service(SERVICE_ID, 1, 0, 0), List.of(2), 2);
            Map<Integer, Integer> destroyed;
            List<NetworkNamespace> namespaces = CgroupNetworkNamespaces.open(pods.path());
            try {
                assertThat(namespaces).extracting(NetworkNamespace::inode)
                        .contains(inode(client)).doesNotContain(inode(other));
                destroyed = destroyer.destroy(
                        Map.of(SockDestroyKey.ofIpv4(Ipv4.parse(VIP), 53, Ipv4.parse(BACKEND_IP), 5301), 1), namespaces);
            } finally {
                namespaces.forEach(NetworkNamespace::close);
            }
            Files.createFile(trigger);

            List<String[]> clientSockets = afterLines(inCgroup);
            List<String[]> otherSockets = afterLines(outside);
            System.out.printf("stale UDP sockets: destroyed %s; client %s; other namespace %s%n", destroyed,
                    clientSockets.stream().map(a -> String.join(" ", a)).toList(),
                    otherSockets.stream().map(a -> String.join(" ", a)).toList());

            List<String[]> onA = clientSockets.stream().filter(a -> !a[2].equals("direct") && a[3].equals("dnsA")).toList();
            List<String[]> onB = clientSockets.stream().filter(a -> !a[2].equals("direct") && a[3].equals("dnsB")).toList();
            assertThat(onA).as("sockets sent to dnsA, both families").extracting(a -> a[2]).contains("v4", "v6mapped");
            assertThat(onB).as("sockets sent to dnsB, both families").extracting(a -> a[2]).contains("v4", "v6mapped");
            assertThat(destroyed).as("destroyed sockets by backend id").isEqualTo(Map.of(1, onA.size()));
            assertThat(onA).as("aborted, then reconnected to the remaining backend")
                    .allSatisfy(a -> assertThat(a[4] + " " + a[5]).isEqualTo("ECONNABORTED dnsB"));
            assertThat(onB).as("untouched on the remaining backend")
                    .allSatisfy(a -> assertThat(a[4] + " " + a[5]).isEqualTo("open dnsB"));
            assertThat(clientSockets).as("connected to dnsA's address directly: not the service's doing")
                    .filteredOn(a -> a[2].equals("direct")).singleElement()
                    .satisfies(a -> assertThat(a[4] + " " + a[5]).isEqualTo("open dnsA"));
            assertThat(otherSockets).as("a namespace without processes in the cgroup is not walked")
                    .filteredOn(a -> a[3].equals("dnsA")).isNotEmpty()
                    .allSatisfy(a -> assertThat(a[4] + " " + a[5]).isEqualTo("open dnsA"));
            assertThat(destroyer.destroySet().keys()).as("destroy set emptied after the run").isEmpty();
        } finally {
            Files.deleteIfExists(trigger);
        }
    }

    @Test
    void ipv6SocketsSentToARemovedIpv6BackendAreAbortedToo() throws IOException {
        services6.putBackend(3, new Lb6Backend(Ipv6.parse(BACKEND_V6), 5303, IpProtocol.UDP, 0));
        services6.putBackend(4, new Lb6Backend(Ipv6.parse(BACKEND_V6), 5304, IpProtocol.UDP, 0));
        services6.putService(FRONTEND6, new Lb4Service(10, 2, 0, 0), List.of(3, 4), 0);
        Path trigger = Files.createTempFile("sluice-stale-udp6", ".trigger");
        Files.delete(trigger);
        try {
            Proc proc = client.inCgroup(pods).spawn(PyTraffic.python(), "-c", CLIENT, VIP6, "53", "-", "0", "dnsA,dnsB",
                    trigger.toString(), "v6");
            awaitReady(proc);

            services6.putService(FRONTEND6, new Lb4Service(10, 1, 0, 0), List.of(4), 2);
            Map<Integer, Integer> destroyed;
            List<NetworkNamespace> namespaces = CgroupNetworkNamespaces.open(pods.path());
            try {
                destroyed = destroyer.destroy(
                        Map.of(new SockDestroyKey(Ipv6.parse(VIP6), 53, Ipv6.parse(BACKEND_V6), 5303), 3), namespaces);
            } finally {
                namespaces.forEach(NetworkNamespace::close);
            }
            Files.createFile(trigger);

            List<String[]> sockets = afterLines(proc);
            List<String[]> onA = sockets.stream().filter(a -> a[3].equals("dnsA")).toList();
            assertThat(onA).as("IPv6 sockets sent to dnsA").isNotEmpty();
            assertThat(destroyed).as("destroyed sockets by backend id").isEqualTo(Map.of(3, onA.size()));
            assertThat(onA).allSatisfy(a -> assertThat(a[4] + " " + a[5]).isEqualTo("ECONNABORTED dnsB"));
            assertThat(sockets).filteredOn(a -> a[3].equals("dnsB")).as("IPv6 sockets on dnsB").isNotEmpty()
                    .allSatisfy(a -> assertThat(a[4] + " " + a[5]).isEqualTo("open dnsB"));
        } finally {
            Files.deleteIfExists(trigger);
        }
    }

    private static Proc start(Netns ns, String directIp, String want, Path trigger) {
        return ns.spawn(PyTraffic.python(), "-c", CLIENT, VIP, "53", directIp, "5301", want, trigger.toString(), "v4,v6mapped");
    }

    private static void awaitReady(Proc proc) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!proc.stdout().contains("ready")) {
            assertThat(proc.isAlive()).as("client alive: %s", proc.stderr()).isTrue();
            assertThat(System.nanoTime()).as("client ready in time").isLessThan(deadline);
            PyTraffic.sleep(Duration.ofMillis(20));
        }
    }

    /** The client's "after" lines, split: after INDEX KIND BACKEND STATE ANSWER. */
    private static List<String[]> afterLines(Proc proc) {
        assertThat(proc.awaitExit(Duration.ofSeconds(30))).as("client ends: %s", proc.stderr()).isTrue();
        assertThat(proc.exitCode()).as("client exit: %s", proc.stderr()).hasValue(0);
        return proc.stdout().lines().filter(l -> l.startsWith("after ")).map(l -> l.split(" ")).toList();
    }

    private static long inode(Netns ns) {
        try (NetworkNamespace handle = NetworkNamespace.named(ns.name())) {
            return handle.inode();
        }
    }
}
