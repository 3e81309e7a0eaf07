package io.sluice.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.policy.MonitorCommand;
import io.sluice.fixtures.TestPacket;
import io.sluice.maps.Ep4Info;
import io.sluice.maps.Ipv4;
import io.sluice.maps.MapName;
import io.sluice.maps.PolicyDatapathState;
import io.sluice.maps.PolicyWritePlan;
import io.sluice.testnet.KernelTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Without an agent, {@code sluice monitor} reads the pinned ring buffer itself and prints each drop. */
@KernelTest
class MonitorRingBufferTest {

    @Test
    void theMonitorPrintsDropsFromThePinnedRingBufferWhenNoAgentRuns() throws Exception {
        try (PolicyTestBed bed = new PolicyTestBed()) {
            Path pins = bed.topology.bpfDirectory("monitor");
            Files.createDirectories(pins.resolve("maps"));
            bed.pod.map(MapName.SLUICE_EVENTS.cName()).pin(pins.resolve("maps").resolve(MapName.SLUICE_EVENTS.cName()));
            int veth = bed.veth(1);
            bed.policy.apply(PolicyWritePlan.between(PolicyDatapathState.empty(), new PolicyDatapathState(Map.of(),
                    Map.of(Ipv4.parse("10.0.1.2"), new Ep4Info(256, veth, 5, 0)), Map.of(veth, Ipv4.parse("10.0.1.2")),
                    Set.of())));
            assertThat(bed.run(bed.fromPod, TestPacket.tcpSyn("10.0.1.99", 4242, "10.0.2.2", 80).toBytes(), veth, veth)
                    .verdict()).isEqualTo(PolicyTestBed.TC_ACT_SHOT);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = new CommandLine(new MonitorCommand());
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            int exit = cli.execute("--state-dir", pins.resolve("no-agent").toString(), "--bpffs-dir", pins.toString(),
                    "--count", "1");

            assertThat(exit).isZero();
            assertThat(err.toString()).contains("no agent running");
            assertThat(out.toString().strip())
                    .startsWith("drop spoofed egress tcp 10.0.1.99:4242 -> 10.0.2.2:80").contains("endpoint 5");
        }
    }
}
