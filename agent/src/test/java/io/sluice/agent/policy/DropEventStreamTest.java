package io.sluice.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.testsupport.Await;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice monitor} follows the agent's event stream; several can watch at once; nothing to follow is exit 1. */
class DropEventStreamTest {
    @TempDir
    Path stateDir;

    @Test
    void everyConnectedMonitorPrintsEveryEventUntilItsCount() throws Exception {
        try (DropEventStream stream = DropEventStream.open(stateDir.resolve(PolicyReconciler.MONITOR_SOCKET));
             ExecutorService monitors = Executors.newFixedThreadPool(2)) {
            StringWriter first = new StringWriter();
            StringWriter second = new StringWriter();
            Future<Integer> a = monitors.submit(() -> monitor(first, "--count", "2"));
            Future<Integer> b = monitors.submit(() -> monitor(second, "--count", "3"));
            Await.until(() -> stream.clients() == 2, () -> "two monitors connected");

            stream.publish("drop policy ingress tcp 10.0.0.1:4000 -> 10.0.0.2:80");
            stream.publish("drop spoofed egress udp 10.0.9.9:53 -> 10.0.0.2:53");
            assertThat(a.get(10, TimeUnit.SECONDS)).isZero();
            stream.publish("drop fragment ingress udp 10.0.0.1:0 -> 10.0.0.2:0");
            assertThat(b.get(10, TimeUnit.SECONDS)).isZero();

            assertThat(first.toString().lines()).containsExactly(
                    "drop policy ingress tcp 10.0.0.1:4000 -> 10.0.0.2:80", "drop spoofed egress udp 10.0.9.9:53 -> 10.0.0.2:53");
            assertThat(second.toString().lines()).hasSize(3).last().asString().startsWith("drop fragment");
            Await.until(() -> {
                stream.publish("noticing the first monitor left");
                return stream.clients() == 0;
            }, () -> "monitors that left are dropped");
        }
        assertThat(Files.exists(stateDir.resolve(PolicyReconciler.MONITOR_SOCKET))).as("socket removed on close").isFalse();
    }

    @Test
    void withoutAgentAndRingBufferTheMonitorSaysWhereItLookedAndExits1() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new MonitorCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute("--state-dir", stateDir.toString(), "--bpffs-dir", stateDir.resolve("bpf").toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains(stateDir.resolve("monitor.sock").toString())
                .contains(stateDir.resolve("bpf/maps/sluice_events").toString());
    }

    private int monitor(StringWriter out, String... args) {
        CommandLine cli = new CommandLine(new MonitorCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));
        String[] all = new String[args.length + 2];
        all[0] = "--state-dir";
        all[1] = stateDir.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return cli.execute(all);
    }
}
