package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An iterator program runs once per kernel object when its iterator is read, and a socket iterator created inside a
 * network namespace walks that namespace's sockets only.
 */
class BpfIteratorTest {
    private static final String ITER_SELFTEST = "/io/sluice/bpf/test/iter_selftest.bpf.o";
    private static final String SELFTEST = "/io/sluice/bpf/test/selftest.bpf.o";

    @BeforeEach
    void kernel() {
        Kernel.require();
    }

    @Test
    void aUdpIteratorSeesTheSocketsOfTheNamespaceItRunsIn() throws Exception {
        try (Kernel.TestNetns first = new Kernel.TestNetns(); Kernel.TestNetns second = new Kernel.TestNetns();
             NetworkNamespace firstNs = NetworkNamespace.named(first.name);
             NetworkNamespace secondNs = NetworkNamespace.named(second.name);
             BpfObject object = BpfObject.openResource(ITER_SELFTEST)) {
            object.load();
            try (DatagramSocket a = firstNs.call(() -> bound(40001)); DatagramSocket b = firstNs.call(() -> bound(40002));
                 DatagramSocket c = secondNs.call(() -> bound(40003));
                 BpfIterator iterator = object.program("selftest_udp_ports").attachIterator()) {

                assertThat(ports(iterator.run(firstNs))).containsExactlyInAnyOrder(40001, 40002);
                assertThat(ports(iterator.run(secondNs))).containsExactly(40003);

                b.close();
                assertThat(ports(iterator.run(firstNs))).as("a second run walks again").containsExactly(40001);
            }
        }
    }

    @Test
    void onlyIteratorProgramsAttachAsIteratorsAndAClosedIteratorRefusesToRun() {
        try (BpfObject selftest = BpfObject.openResource(SELFTEST); BpfObject iter = BpfObject.openResource(ITER_SELFTEST)) {
            selftest.load();
            iter.load();
            BpfProgram connect4 = selftest.program("selftest_connect4");
            assertThatThrownBy(connect4::attachIterator).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("selftest_connect4").hasMessageContaining("not an iterator program");

            BpfIterator iterator = iter.program("selftest_udp_ports").attachIterator();
            iterator.close();
            iterator.close();
            assertThatThrownBy(iterator::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("selftest_udp_ports").hasMessageContaining("closed");
        }
    }

    private static DatagramSocket bound(int port) throws Exception {
        return new DatagramSocket(new InetSocketAddress("10.211.0.1", port));
    }

    private static List<Integer> ports(byte[] output) {
        assertThat(output.length % 2).as("whole 2-byte records").isZero();
        ByteBuffer buffer = ByteBuffer.wrap(output).order(ByteOrder.nativeOrder());
        List<Integer> ports = new ArrayList<>();
        while (buffer.hasRemaining()) {
            ports.add(Short.toUnsignedInt(buffer.getShort()));
        }
        return ports;
    }
}
