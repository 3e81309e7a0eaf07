package io.sluice.netpol;

import java.util.ArrayList;
import java.util.List;

/**
 * The 9×9 reachability matrices of the truth table, one per (protocol, port), expected or observed: '.' reached,
 * 'X' blocked, rows are sources, columns destinations (the layout of the upstream network policy e2e tests).
 */
final class Reachability {
    /** What is probed: TCP and UDP on ports 80 and 81. */
    record Probe(String protocol, int port) {
        @Override
        public String toString() {
            return protocol + "/" + port;
        }
    }

    static final List<Probe> PROBES = List.of(new Probe("tcp", 80), new Probe("tcp", 81), new Probe("udp", 80),
            new Probe("udp", 81));

    /** Whether {@code from} should reach {@code to} with {@code probe}. */
    @FunctionalInterface
    interface Expectation {
        boolean reaches(NetpolPod from, NetpolPod to, Probe probe);
    }

    /** Everything reaches everything. */
    static final Expectation ALL = (from, to, probe) -> true;

    private final boolean[][][] cells = new boolean[PROBES.size()][9][9];

    /** The matrix an expectation gives; a pod always reaches itself (its own address goes over its loopback). */
    static Reachability expected(Expectation expectation) {
        Reachability r = new Reachability();
        for (int p = 0; p < PROBES.size(); p++) {
            for (NetpolPod from : NetpolPod.ALL) {
                for (NetpolPod to : NetpolPod.ALL) {
                    r.cells[p][from.index()][to.index()] = from.equals(to) || expectation.reaches(from, to, PROBES.get(p));
                }
            }
        }
        return r;
    }

    void set(Probe probe, NetpolPod from, NetpolPod to, boolean reached) {
        cells[PROBES.indexOf(probe)][from.index()][to.index()] = reached;
    }

    boolean get(Probe probe, NetpolPod from, NetpolPod to) {
        return cells[PROBES.indexOf(probe)][from.index()][to.index()];
    }

    /** The cells where the two differ, as "probe from -> to". */
    List<String> differences(Reachability other) {
        List<String> out = new ArrayList<>();
        for (Probe probe : PROBES) {
            for (NetpolPod from : NetpolPod.ALL) {
                for (NetpolPod to : NetpolPod.ALL) {
                    if (get(probe, from, to) != other.get(probe, from, to)) {
                        out.add(probe + " " + from + " -> " + to);
                    }
                }
            }
        }
        return out;
    }

    /** The matrix of one probe as text. */
    String render(Probe probe) {
        StringBuilder sb = new StringBuilder(probe + "\n-\t");
        NetpolPod.ALL.forEach(p -> sb.append(p).append('\t'));
        sb.append('\n');
        for (NetpolPod from : NetpolPod.ALL) {
            sb.append(from).append('\t');
            for (NetpolPod to : NetpolPod.ALL) {
                sb.append(get(probe, from, to) ? '.' : 'X').append('\t');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Expected and observed side by side for every probe where they differ. */
    static String report(Reachability expected, Reachability observed) {
        StringBuilder sb = new StringBuilder();
        for (Probe probe : PROBES) {
            boolean differs = expected.differences(observed).stream().anyMatch(d -> d.startsWith(probe + " "));
            if (differs) {
                sb.append("expected ").append(expected.render(probe)).append("observed ").append(observed.render(probe));
            }
        }
        sb.append("differences: ").append(expected.differences(observed));
        return sb.toString();
    }
}
