package io.sluice.agent.cli;

import io.sluice.agent.cli.explain.Explanation;
import io.sluice.agent.cli.explain.ExplanationView;
import io.sluice.agent.cli.explain.PacketExplainer;
import io.sluice.bpf.BpfObjectFile;
import io.sluice.loader.BpfException;
import io.sluice.loader.BpfMap;
import io.sluice.loader.BpfObject;
import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.IpProtocol;
import io.sluice.maps.Ipv4;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice explain SRC DST:PORT/PROTO}: what the data path would do with that packet now, answered by the
 * pod programs themselves ({@link PacketExplainer}): they are loaded from this CLI's jar with the agent's pinned
 * maps and run on a crafted first packet with {@code BPF_PROG_TEST_RUN}.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explain what the data path would do now with the first packet of a flow from SRC to DST:PORT/PROTO:"
                + " which frontend it matches, which backend is chosen (or why none), the identities of both ends, which"
                + " policy entry decides, and where the packet ends.",
                "The verdict is the return value of the pod programs (from_pod on the source's veth when it is a pod of"
                        + " this node, to_pod on the destination's), run on a crafted packet against the agent's pinned"
                        + " maps. The entries the probe creates in the conntrack and affinity maps are removed"
                        + " afterwards; the per-CPU counters count it, and a policy drop is reported to 'sluice monitor'"
                        + " like any other.",
                "Run it in the node's network namespace (the pods' veths), or name that namespace with --netns."})
public final class ExplainCommand extends MapCommand {
    @Parameters(index = "0", paramLabel = "SRC", description = "Source address, with a port if wanted: 10.0.1.2 or 10.0.1.2:40000.")
    String source;

    @Parameters(index = "1", paramLabel = "DST:PORT/PROTO", description = "Destination, port and protocol (tcp or udp, default tcp): 10.96.0.10:80/tcp.")
    String destination;

    @Option(names = "--netns", paramLabel = "NAME",
            description = "Run in this network namespace (/run/netns/NAME), the node's (e.g. a lab node's).")
    String netns;

    @Override
    protected String run(PinnedMaps maps, OutputFormat format) {
        Ipv4 src;
        Integer srcPort = null;
        int colon = source.indexOf(':');
        if (colon < 0) {
            src = Cli.parseIpv4("SRC", source);
        } else {
            src = Cli.parseIpv4("SRC", source.substring(0, colon));
            srcPort = port("SRC", source.substring(colon + 1));
        }
        int slash = destination.indexOf('/');
        String hostPort = slash < 0 ? destination : destination.substring(0, slash);
        IpProtocol protocol = slash < 0 ? IpProtocol.TCP : protocol(destination.substring(slash + 1));
        int dstColon = hostPort.indexOf(':');
        if (dstColon < 0) {
            throw new CliException("DST:PORT/PROTO: '" + destination + "' has no port (e.g. 10.96.0.10:80/tcp)");
        }
        Ipv4 dst = Cli.parseIpv4("DST", hostPort.substring(0, dstColon));
        int dstPort = port("DST", hostPort.substring(dstColon + 1));
        Integer givenPort = srcPort;
        NetworkNamespace ns;
        try {
            ns = netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns);
        } catch (IllegalArgumentException e) {
            throw new CliException("--netns: " + e.getMessage(), e);
        }
        try (ns) {
            Explanation explanation = ns.call(() -> explain(maps, src, givenPort, dst, dstPort, protocol));
            return format == OutputFormat.JSON ? ExplanationView.json(explanation) : ExplanationView.text(explanation);
        }
    }

    private static int port(String what, String text) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new CliException(what + ": port '" + text + "' is not a number from 1 to 65535");
    }

    private static IpProtocol protocol(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "tcp" -> IpProtocol.TCP;
            case "udp" -> IpProtocol.UDP;
            default -> throw new CliException("DST:PORT/PROTO: protocol '" + text + "' is neither tcp nor udp");
        };
    }

    /** Loads the pod programs over the pinned maps and explains; runs in the node's network namespace. */
    private static Explanation explain(PinnedMaps maps, Ipv4 src, Integer srcPort, Ipv4 dst, int dstPort, IpProtocol protocol) {
        try (BpfObject pod = BpfObject.open(BpfObjectFile.POD.bytes(), BpfObjectFile.POD.baseName())) {
            // Only adopt: a map that is not pinned would be created and pinned in the agent's folder by the load.
            for (BpfMap map : pod.maps()) {
                Path pin = maps.mapsDir().resolve(map.name());
                if (!map.isInternal() && !Files.exists(pin)) {
                    throw new CliException("no map pinned at " + pin + ": explain runs the programs on the agent's maps;"
                            + " is the agent running with --bpffs-dir " + maps.pinDir() + "? (an agent older than this"
                            + " CLI may not have this map)");
                }
            }
            pod.pinMapsUnder(maps.mapsDir());
            try {
                pod.load();
            } catch (BpfException e) {
                throw new CliException("loading the pod programs over the maps pinned in " + maps.mapsDir()
                        + " failed (are the agent and this CLI the same version?): " + e.getMessage(), e);
            }
            return new PacketExplainer(maps, pod.program("from_pod"), pod.program("to_pod"), interfaceNames())
                    .explain(src, srcPort, dst, dstPort, protocol);
        }
    }

    private static Map<Integer, String> interfaceNames() {
        Map<Integer, String> names = new HashMap<>();
        try (NetworkNamespace here = NetworkNamespace.current()) {
            for (String name : here.interfaceNames()) {
                names.put(here.interfaceIndex(name), name);
            }
        }
        return names;
    }
}
