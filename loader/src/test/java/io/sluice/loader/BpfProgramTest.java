package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BpfProgramTest {
    private static final int XDP_PASS = 2;

    @BeforeEach
    void kernel() {
        Kernel.require();
    }

    @Test
    void xdpPassTestRunReturnsPassAndTheSamePacket() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/xdp_pass.bpf.o")) {
            object.load();
            byte[] packet = Packets.tcpSyn();

            TestRunResult result = object.program("xdp_pass").testRun(packet, 1_000);

            assertThat(result.verdict()).isEqualTo(XDP_PASS);
            assertThat(result.packetOut()).isEqualTo(packet);
            assertThat(result.nsPerRun()).isPositive();
        }
    }

    @Test
    void xdpPassCostPerRunOverAMillionRepeats() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/xdp_pass.bpf.o")) {
            object.load();

            TestRunResult result = object.program("xdp_pass").testRun(Packets.tcpSyn(), 1_000_000);

            assertThat(result.verdict()).isEqualTo(XDP_PASS);
            assertThat(result.nsPerRun()).isPositive();
            System.out.println("xdp_pass: " + result.nsPerRun() + " ns/run over 1,000,000 runs of a 54-byte TCP SYN");
        }
    }

    @Test
    void selftestXdpCountsEveryRun() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o");
             Arena arena = Arena.ofConfined()) {
            object.load();
            byte[] packet = Packets.tcpSyn();

            TestRunResult result = object.program("selftest_xdp").testRun(packet, 25);

            assertThat(result.verdict()).isEqualTo(XDP_PASS);
            assertThat(result.packetOut()).isEqualTo(packet);
            assertThat(result.nsPerRun()).isPositive();
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            assertThat(object.map("selftest_counts").lookup(key, value)).isTrue();
            assertThat(value.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(25);
        }
    }

    @Test
    void testRunWithAContextReturnsTheContextAsTheProgramLeftIt() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/selftest.bpf.o")) {
            object.load();
            // struct __sk_buff is 192 bytes; mark at offset 8 passes through a program that does not touch it.
            byte[] context = new byte[192];
            context[8] = 42;

            TestRunResult result = object.program("selftest_tc").testRun(Packets.tcpSyn(), context, 1);

            assertThat(result.verdict()).isZero(); // TC_ACT_OK
            assertThat(result.contextOut()).hasSize(192);
            assertThat(result.contextOut()[8]).isEqualTo((byte) 42);
        }
    }

    @Test
    void verifierRejectionCarriesTheVerifierLog() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/test/rejected.bpf.o")) {
            assertThatThrownBy(object::load)
                    .isInstanceOfSatisfying(BpfException.class, e -> {
                        assertThat(e.call()).isEqualTo("bpf_object__load");
                        assertThat(e.object()).contains("rejected");
                        assertThat(e.errnoName()).isEqualTo("EACCES");
                        assertThat(e.verifierLog()).contains("invalid access to packet");
                        assertThat(e.getMessage()).contains("EACCES").contains("invalid access to packet");
                    });
        }
    }

    @Test
    void testRunRefusesBadInputNamingTheProgram() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/xdp_pass.bpf.o")) {
            object.load();
            BpfProgram program = object.program("xdp_pass");

            assertThatThrownBy(() -> program.testRun(new byte[0], 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("xdp_pass").hasMessageContaining("empty");
            assertThatThrownBy(() -> program.testRun(Packets.tcpSyn(), 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repeat");
        }
    }

    @Test
    void programOfAnObjectNotYetLoadedHasNoDescriptor() {
        try (BpfObject object = BpfObject.openResource("/io/sluice/bpf/xdp_pass.bpf.o")) {
            assertThatThrownBy(() -> object.program("xdp_pass").fd())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not loaded");
        }
    }
}
