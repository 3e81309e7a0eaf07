package io.sluice.datapath;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Counting which backend answered, and Pearson's chi-square statistic of those counts against a uniform split. */
final class Distribution {
    /** Chi-square critical value for 3 degrees of freedom (4 backends) at p = 0.001. */
    static final double CHI_SQUARE_3_DOF_P001 = 16.27;

    private Distribution() {
    }

    /** How often each answer's first word (the backend's name) occurs. */
    static Map<String, Long> byBackend(List<String> answers) {
        return answers.stream().map(line -> line.split(" ")[0])
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }

    /** Sum of (observed - expected)^2 / expected over {@code backends}, each expected to get an equal share. */
    static double chiSquare(Map<String, Long> counts, List<String> backends) {
        long total = backends.stream().mapToLong(b -> counts.getOrDefault(b, 0L)).sum();
        double expected = (double) total / backends.size();
        double sum = 0;
        for (String backend : backends) {
            double diff = counts.getOrDefault(backend, 0L) - expected;
            sum += diff * diff / expected;
        }
        return sum;
    }
}
