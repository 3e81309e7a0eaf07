package io.sluice.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reachability between every pair of lab pods for every declared protocol and port: the truth tables of the
 * upstream network policy tests. Pods are {@code namespace/name}, sorted; ports are sorted by protocol, then
 * number.
 */
public final class ProbeMatrix {
    private final List<String> pods;
    private final Map<PodPort, Map<String, Map<String, Boolean>>> reached = new TreeMap<>();

    /** An empty matrix over {@code pods} and {@code ports}; unset pairs print as {@code ?}. */
    public ProbeMatrix(List<String> pods, List<PodPort> ports) {
        this.pods = List.copyOf(new TreeSet<>(pods));
        for (PodPort port : new TreeSet<>(ports)) {
            Map<String, Map<String, Boolean>> rows = new LinkedHashMap<>();
            for (String from : this.pods) {
                rows.put(from, new LinkedHashMap<>());
            }
            reached.put(port, rows);
        }
    }

    public void set(PodPort port, String from, String to, boolean value) {
        Map<String, Map<String, Boolean>> rows = reached.get(port);
        if (rows == null || !rows.containsKey(from) || !pods.contains(to)) {
            throw new IllegalArgumentException("no cell " + port + " " + from + " -> " + to + " in this matrix");
        }
        rows.get(from).put(to, value);
    }

    /** The cell, or null when it was not probed. */
    public Boolean get(PodPort port, String from, String to) {
        Map<String, Map<String, Boolean>> rows = reached.get(port);
        return rows == null || !rows.containsKey(from) ? null : rows.get(from).get(to);
    }

    public List<String> pods() {
        return pods;
    }

    public List<PodPort> ports() {
        return List.copyOf(reached.keySet());
    }

    /** Whether every cell was probed and reached. */
    public boolean allReached() {
        for (Map<String, Map<String, Boolean>> rows : reached.values()) {
            for (String from : pods) {
                for (String to : pods) {
                    if (!Boolean.TRUE.equals(rows.get(from).get(to))) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * The tables as the upstream network policy tests print them: per port a heading line, then a header row
     * {@code -} and the destinations, then one row per source with {@code .} reached, {@code X} blocked and
     * {@code ?} not probed, tab-separated.
     */
    public String toText() {
        StringBuilder out = new StringBuilder();
        for (PodPort port : reached.keySet()) {
            out.append(port).append('\n');
            List<String> header = new ArrayList<>();
            header.add("-");
            header.addAll(pods);
            out.append(String.join("\t", header)).append('\n');
            for (String from : pods) {
                List<String> line = new ArrayList<>();
                line.add(from);
                for (String to : pods) {
                    Boolean value = reached.get(port).get(from).get(to);
                    line.add(value == null ? "?" : value ? "." : "X");
                }
                out.append(String.join("\t", line)).append('\n');
            }
            out.append('\n');
        }
        return out.toString();
    }

    /**
     * The matrix as one line of JSON, {@code {"TCP/80": {"x/a": {"x/a": true, "x/b": false}}}}: keys
     * {@code PROTOCOL/port}, then source, then destination; unprobed cells are left out.
     */
    public String toJson() {
        StringBuilder out = new StringBuilder("{");
        boolean firstPort = true;
        for (Map.Entry<PodPort, Map<String, Map<String, Boolean>>> port : reached.entrySet()) {
            out.append(firstPort ? "" : ", ").append(quote(port.getKey().toString())).append(": {");
            firstPort = false;
            boolean firstFrom = true;
            for (String from : pods) {
                out.append(firstFrom ? "" : ", ").append(quote(from)).append(": {");
                firstFrom = false;
                boolean firstTo = true;
                for (String to : pods) {
                    Boolean value = port.getValue().get(from).get(to);
                    if (value != null) {
                        out.append(firstTo ? "" : ", ").append(quote(to)).append(": ").append(value);
                        firstTo = false;
                    }
                }
                out.append('}');
            }
            out.append('}');
        }
        return out.append('}').toString();
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
