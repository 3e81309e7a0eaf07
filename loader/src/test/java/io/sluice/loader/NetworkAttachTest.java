package io.sluice.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** XDP and tc attachment inside a network namespace of the test's own, with a veth pair v0/v1. */
class NetworkAttachTest {
    private static final String SELFTEST = "/io/sluice/bpf/test/selftest.bpf.o";

    private Kernel.TestNetns netns;
    private NetworkNamespace ns;

    @BeforeEach
    void namespace() {
        Kernel.require();
        netns = new Kernel.TestNetns();
        ns = NetworkNamespace.named(netns.name);
    }

    @AfterEach
    void cleanUp() {
        if (ns != null) {
            ns.close();
        }
        if (netns != null) {
            netns.close();
        }
    }

    @Test
    void callRunsInTheNamespaceAndSeesItsInterfaces() throws Exception {
        try (NetworkNamespace current = NetworkNamespace.current()) {
            assertThat(ns.interfaceNames()).containsExactly("lo", "v0", "v1");
            assertThat(current.interfaceNames()).contains("lo").doesNotContain("v0", "v1");
        }
        // IPv4 interfaces as Java's own enumeration sees them through a socket made inside: v1 has an address.
        List<String> ipv4 = ns.call(() -> NetworkInterface.networkInterfaces()
                .filter(i -> i.inetAddresses().anyMatch(a -> a.getAddress().length == 4))
                .map(NetworkInterface::getName).toList());
        assertThat(ipv4).contains("v1");
        assertThat(ns.interfaceIndex("v1")).isPositive();
        assertThatThrownBy(() -> ns.interfaceIndex("v9"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'v9'").hasMessageContaining(netns.name);
        // A checked exception from the work passes through unchanged.
        assertThatThrownBy(() -> ns.call(() -> {
            throw new IOException("from inside");
        })).isInstanceOf(IOException.class).hasMessage("from inside");
    }

    @Test
    void theCurrentNamespaceRunsWorkOnTheCallingThread() {
        try (NetworkNamespace current = NetworkNamespace.current()) {
            Thread caller = Thread.currentThread();

            assertThat(current.call(Thread::currentThread)).isSameAs(caller);
            assertThat(ns.call(Thread::currentThread)).isNotSameAs(caller);
        }
    }

    @Test
    void xdpLinkInEachModeAttachesAndDetachesOnClose() {
        try (BpfObject object = BpfObject.openResource(SELFTEST)) {
            object.load();
            BpfProgram xdp = object.program("selftest_xdp");
            int ifindex = ns.interfaceIndex("v0");

            for (XdpMode mode : List.of(XdpMode.NATIVE, XdpMode.GENERIC, XdpMode.DEFAULT)) {
                try (BpfLink link = xdp.attachXdp(ns, "v0", mode)) {
                    BpfLink.Info info = link.info();
                    assertThat(info.type()).isEqualTo(BpfLink.Info.TYPE_XDP);
                    assertThat(info.target()).isEqualTo(ifindex);
                    assertThat(info.programId()).isEqualTo(xdp.id());
                    String expected = mode == XdpMode.GENERIC ? "xdpgeneric" : "xdp";
                    assertThat(Kernel.run("ip", "-n", netns.name, "-d", "link", "show", "dev", "v0"))
                            .as(mode.name()).contains(expected).contains("id " + xdp.id());
                }
                assertThat(Kernel.run("ip", "-n", netns.name, "link", "show", "dev", "v0")).as(mode.name()).doesNotContain("xdp");
            }
        }
    }

    @Test
    void attachingToAMissingInterfaceNamesItAndTheNamespace() {
        try (BpfObject object = BpfObject.openResource(SELFTEST)) {
            object.load();

            assertThatThrownBy(() -> object.program("selftest_tc").attachTc(ns, "nope0", TcDirection.INGRESS))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope0'").hasMessageContaining(netns.name);
            assertThatThrownBy(() -> object.program("selftest_xdp").attachXdp(ns, "nope0", XdpMode.DEFAULT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope0'").hasMessageContaining(netns.name);
        }
    }

    @Test
    void tcFilterSeesTrafficIsReplacedAtomicallyAndDetachesOnClose() throws Exception {
        try (BpfObject object = BpfObject.openResource(SELFTEST); BpfObject newer = BpfObject.openResource(SELFTEST);
             Arena arena = Arena.ofConfined()) {
            object.load();
            newer.load();
            BpfProgram tc = object.program("selftest_tc");

            try (TcFilter filter = tc.attachTc(ns, "v0", TcDirection.INGRESS)) {
                assertThat(filter.handle()).isPositive();
                assertThat(filter.priority()).isPositive();
                assertThat(filter.programId()).hasValue(tc.id());
                assertThat(tcFilters("ingress")).contains("selftest_tc").contains("direct-action");

                // A datagram to an unused address on v1's subnet makes v1 send ARP, which enters v0.
                ns.run(() -> {
                    try (DatagramSocket socket = new DatagramSocket()) {
                        socket.send(new DatagramPacket(new byte[1], 1, new InetSocketAddress("10.211.0.2", 9)));
                    }
                    return null;
                });
                assertThat(awaitCount(object.map("selftest_counts"), 1, arena)).isPositive();

                filter.replace(newer.program("selftest_tc"));
                assertThat(filter.programId()).hasValue(newer.program("selftest_tc").id());
            }

            assertThat(tcFilters("ingress")).doesNotContain("selftest_tc");
        }
    }

    @Test
    void aDisownedTcFilterStaysAttachedAndIsTakenOverAtItsHandle() {
        try (BpfObject object = BpfObject.openResource(SELFTEST); BpfObject newer = BpfObject.openResource(SELFTEST)) {
            object.load();
            newer.load();

            TcFilter first = object.program("selftest_tc").attachTc(ns, "v0", TcDirection.EGRESS, 7, 3);
            assertThat(first.handle()).isEqualTo(7);
            assertThat(first.priority()).isEqualTo(3);
            first.disown();
            first.close();
            assertThat(tcFilters("egress")).contains("selftest_tc").contains("handle 0x7");

            try (TcFilter takenOver = newer.program("selftest_tc").attachTc(ns, "v0", TcDirection.EGRESS, 7, 3)) {
                assertThat(takenOver.programId()).hasValue(newer.program("selftest_tc").id());
                assertThat(tcFilters("egress").lines().filter(l -> l.contains("selftest_tc")).count()).isEqualTo(1);
            }
            assertThat(tcFilters("egress")).doesNotContain("selftest_tc");
        }
    }

    private String tcFilters(String direction) {
        return Kernel.run("tc", "-n", netns.name, "filter", "show", "dev", "v0", direction);
    }

    /** Polls counter {@code slot} of selftest_counts until it is non-zero or 5 s passed; returns its value. */
    private static long awaitCount(BpfMap counts, int slot, Arena arena) throws InterruptedException {
        MemorySegment key = arena.allocate(JAVA_INT);
        key.set(JAVA_INT, 0, slot);
        MemorySegment value = arena.allocate(JAVA_LONG);
        for (int i = 0; i < 500; i++) {
            counts.lookup(key, value);
            if (value.get(JAVA_LONG, 0) > 0) {
                break;
            }
            Thread.sleep(10);
        }
        return value.get(JAVA_LONG, 0);
    }
}
