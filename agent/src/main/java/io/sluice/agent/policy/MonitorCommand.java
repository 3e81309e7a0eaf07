package io.sluice.agent.policy;

import io.sluice.agent.config.AgentConfig;
import io.sluice.loader.BpfMap;
import io.sluice.loader.RingBufferConsumer;
import io.sluice.maps.DropEvent;
import io.sluice.maps.MapName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice monitor}: prints the data path's drop events (policy denials, spoofed sources, unknown fragments,
 * IPv6 at enforcing pods) as they happen, one line each. It connects to the running agent's monitor socket
 * ({@code STATE_DIR/monitor.sock}), so any number of monitors can watch while the agent keeps counting; when no
 * agent runs it reads the pinned ring buffer itself.
 *
 * <p>Exit codes: 0 after {@code --count} events or when the agent goes away, 1 when neither the agent's socket nor
 * the pinned ring buffer is there.
 */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Print the data path's drop events as they happen (NetworkPolicy denials, spoofed sources, ...).")
public final class MonitorCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "The agent's state directory (default /var/lib/sluice).")
    private Path stateDir = AgentConfig.DEFAULT_STATE_DIR;

    @Option(names = "--bpffs-dir", paramLabel = "DIR", description = "The agent's bpffs folder (default /sys/fs/bpf/sluice), "
            + "read directly when no agent runs.")
    private Path bpffsDir = AgentConfig.DEFAULT_BPFFS_PIN_DIR;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N events (default: run until interrupted).")
    private Integer count;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (count != null && count < 1) {
            err.println("sluice monitor: --count must be at least 1, got " + count);
            return 2;
        }
        Path socket = stateDir.resolve(PolicyReconciler.MONITOR_SOCKET);
        if (Files.exists(socket)) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(socket));
                err.println("sluice monitor: following the agent (" + socket + ")");
                err.flush();
                return relay(channel, out);
            } catch (IOException e) {
                err.println("sluice monitor: " + socket + " does not answer (" + e.getMessage() + "); reading the ring buffer");
            }
        }
        Path ring = bpffsDir.resolve("maps").resolve(MapName.SLUICE_EVENTS.cName());
        if (!Files.exists(ring)) {
            err.println("sluice monitor: no agent socket at " + socket + " and no pinned ring buffer at " + ring
                    + " (is the agent running? see --state-dir and --bpffs-dir)");
            return 1;
        }
        err.println("sluice monitor: no agent running, reading " + ring);
        err.flush();
        return readRing(ring, out);
    }

    private int relay(SocketChannel channel, PrintWriter out) throws IOException {
        BufferedReader lines = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
        int printed = 0;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            out.println(line);
            out.flush();
            if (count != null && ++printed >= count) {
                break;
            }
        }
        return 0;
    }

    private int readRing(Path ring, PrintWriter out) {
        AtomicInteger printed = new AtomicInteger();
        try (BpfMap map = BpfMap.openPinned(ring);
             RingBufferConsumer consumer = RingBufferConsumer.open(map, record -> {
                 try {
                     out.println(DropEvent.CODEC.decode(record).describe());
                 } catch (IllegalArgumentException e) {
                     out.println("(an event this version cannot read: " + e.getMessage() + ")");
                 }
                 out.flush();
                 printed.incrementAndGet();
             })) {
            while (count == null || printed.get() < count) {
                consumer.poll(500);
            }
        }
        return 0;
    }
}
