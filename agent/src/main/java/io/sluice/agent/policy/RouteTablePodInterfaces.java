package io.sluice.agent.policy;

import io.sluice.loader.NetworkNamespace;
import io.sluice.maps.Ipv4;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a pod's veth through the node's IPv4 routing table: the longest directly connected route (no gateway) that
 * covers the pod's address and leaves through an interface whose name starts with the pod interface prefix. That
 * is how routed CNIs reach their pods (a /32 per pod, or a subnet per veth). Pods behind a bridge have no such
 * route and stay without an interface. Reads {@code /proc/thread-self/net/route} (main table) of the calling
 * thread's namespace: the agent's, the node's.
 */
public final class RouteTablePodInterfaces implements PodInterfaces {
    private static final Logger LOG = LoggerFactory.getLogger(RouteTablePodInterfaces.class);
    private static final Path ROUTES = Path.of("/proc/thread-self/net/route");

    private final String prefix;

    /** Interfaces whose name starts with {@code podInterfacePrefix} are pod veths. */
    public RouteTablePodInterfaces(String podInterfacePrefix) {
        this.prefix = podInterfacePrefix;
    }

    record Route(int destination, int mask, int length, String ifname) {
    }

    @Override
    public ToIntFunction<Ipv4> snapshot() {
        List<Route> routes = read();
        Map<String, Integer> indexes = new HashMap<>();
        try (NetworkNamespace here = NetworkNamespace.current()) {
            for (Route r : routes) {
                indexes.computeIfAbsent(r.ifname(), name -> {
                    try {
                        return here.interfaceIndex(name);
                    } catch (IllegalArgumentException gone) {
                        return 0; // removed since the table was read
                    }
                });
            }
        }
        return address -> {
            String ifname = interfaceFor(routes, address);
            return ifname == null ? 0 : indexes.get(ifname);
        };
    }

    /** The interface of the longest route covering {@code address}, or null. */
    static String interfaceFor(List<Route> routes, Ipv4 address) {
        Route best = null;
        for (Route r : routes) {
            if ((address.bits() & r.mask) == r.destination && (best == null || r.length > best.length)) {
                best = r;
            }
        }
        return best == null ? null : best.ifname;
    }

    private List<Route> read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(ROUTES);
        } catch (IOException e) {
            LOG.warn("cannot read {}: pod interfaces unknown, anti-spoofing by address only", ROUTES, e);
            return List.of();
        }
        return parse(lines, prefix);
    }

    /** Parses the table's text: a header line, then {@code Iface Destination Gateway Flags ... Mask ...}. */
    static List<Route> parse(List<String> lines, String prefix) {
        List<Route> routes = new ArrayList<>();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || !f[0].startsWith(prefix)) {
                continue;
            }
            int gateway = hostOrder(f[2]);
            if (gateway != 0) {
                continue;
            }
            int mask = hostOrder(f[7]);
            routes.add(new Route(hostOrder(f[1]) & mask, mask, Integer.bitCount(mask), f[0]));
        }
        return routes;
    }

    /** The file prints each address as the hex of its in-memory (network-order) word read on a little-endian host (x86-64). */
    private static int hostOrder(String hex) {
        return Integer.reverseBytes(Integer.parseUnsignedInt(hex, 16));
    }
}
