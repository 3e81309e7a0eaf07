package io.sluice.agent.cli.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The samples of a scrape in the Prometheus text exposition format (version 0.0.4, what the agent's
 * {@code /metrics} serves). Comments ({@code # HELP}, {@code # TYPE}) and blank lines are skipped; a line that is
 * not a sample is refused naming its number.
 */
public final class PrometheusText {
    private final List<MetricSample> samples;

    private PrometheusText(List<MetricSample> samples) {
        this.samples = List.copyOf(samples);
    }

    /** Parses a whole scrape. */
    public static PrometheusText parse(String text) {
        List<MetricSample> samples = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                samples.add(sample(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("metrics line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
            }
        }
        return new PrometheusText(samples);
    }

    private static MetricSample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && !Character.isWhitespace(line.charAt(i))) {
            i++;
        }
        String name = line.substring(0, i);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("no metric name");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i = labels(line, i + 1, labels);
        }
        String[] rest = line.substring(i).strip().split("\\s+");
        if (rest.length < 1 || rest[0].isEmpty()) {
            throw new IllegalArgumentException("no value");
        }
        return new MetricSample(name, labels, value(rest[0]));
    }

    /** Reads {@code a="x",b="y"}} from {@code start}; returns the index after the closing brace. */
    private static int labels(String line, int start, Map<String, String> out) {
        int i = start;
        while (true) {
            while (i < line.length() && (line.charAt(i) == ',' || line.charAt(i) == ' ')) {
                i++;
            }
            if (i < line.length() && line.charAt(i) == '}') {
                return i + 1;
            }
            int eq = line.indexOf('=', i);
            if (eq < 0 || eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
                throw new IllegalArgumentException("label without =\"value\"");
            }
            String label = line.substring(i, eq).strip();
            StringBuilder value = new StringBuilder();
            int j = eq + 2;
            while (true) {
                if (j >= line.length()) {
                    throw new IllegalArgumentException("label " + label + " has no closing quote");
                }
                char c = line.charAt(j);
                if (c == '"') {
                    break;
                }
                if (c == '\\' && j + 1 < line.length()) {
                    char next = line.charAt(++j);
                    value.append(next == 'n' ? '\n' : next);
                } else {
                    value.append(c);
                }
                j++;
            }
            out.put(label, value.toString());
            i = j + 1;
        }
    }

    private static double value(String text) {
        return switch (text) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("value '" + text + "' is not a number");
                }
            }
        };
    }

    /** Every sample, in the scrape's order. */
    public List<MetricSample> samples() {
        return samples;
    }

    /** The samples of metric {@code name}. */
    public List<MetricSample> named(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** Whether the scrape has a sample of {@code name}. */
    public boolean has(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }

    /** The sum of the samples of {@code name} that {@code filter} accepts (0 when none). */
    public double sum(String name, Predicate<MetricSample> filter) {
        return named(name).stream().filter(filter).mapToDouble(MetricSample::value).sum();
    }
}
