package io.sluice.agent.cli.metrics;

import java.util.Map;

/**
 * One sample line of the Prometheus text format: {@code name{label="value",...} 12.0}.
 *
 * @param labels in the order they were written
 */
public record MetricSample(String name, Map<String, String> labels, double value) {

    public MetricSample {
        labels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
    }

    /** The value of label {@code label}, or the empty string when absent (as Prometheus treats it). */
    public String label(String label) {
        return labels.getOrDefault(label, "");
    }
}
