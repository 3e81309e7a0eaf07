package io.sluice.datapath;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Counting which backend answered, and Pearson's chi-square statistic of those counts against a uniform split over
 * four backends, with the sample size and bound every balancing check uses.
 *
 * <p>Why {@link #SAMPLES} = 2400 and {@link #CHI_SQUARE_BOUND} = 30.67 (3 degrees of freedom, p = 1e-6); computed
 * exactly over the multinomial distribution of 2400 draws by {@code DistributionTest}, which also simulates the
 * choosers with {@link java.util.Random}:
 * <ul>
 *   <li>a fair chooser exceeds the bound with probability 1.01e-6 per check; ClusterIpBalancingTest makes four checks
 *       on random choices ({@code bpf_get_prandom_u32}) per run, so a clean run fails by chance with probability
 *       4.1e-6 (MaglevTest's check is on fixed flows through a fixed-seed hash: the same counts every run);</li>
 *   <li>a backend chosen 1.5 times as often as each of the three others stays below the bound with probability
 *       9.6e-5, so such a skew is caught with probability 0.9999;</li>
 *   <li>a backend never chosen is always caught: its own term alone is SAMPLES / 4 = 600.</li>
 * </ul>
 * The bound the checks had before (16.27, p = 0.001, over 400 connections) failed about one clean run in 250 and
 * missed the 1.5:1:1:1 skew about half the time.
 */
final class Distribution {
    /** Connections or flows per balancing check over four backends. */
    static final int SAMPLES = 2400;
    /** Chi-square bound for 3 degrees of freedom (four backends) at p = 1e-6 (the quantile is 30.665). */
    static final double CHI_SQUARE_BOUND = 30.67;

    private Distribution() {
    }

    /** How often each answer's first word (the backend's name) occurs. */
    static Map<String, Long> byBackend(List<String> answers) {
        return answers.stream().map(line -> line.split(" ")[0])
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
    }

    /** Sum of (observed - expected)^2 / expected over {@code backends}, each expected to get an equal share. */
    static double chiSquare(Map<String, Long> counts, List<String> backends) {
        return chiSquare(backends.stream().mapToLong(b -> counts.getOrDefault(b, 0L)).toArray());
    }

    /** Sum of (observed - expected)^2 / expected over the backends' {@code counts}, each expected an equal share. */
    static double chiSquare(long... counts) {
        long total = 0;
        for (long count : counts) {
            total += count;
        }
        double expected = (double) total / counts.length;
        double sum = 0;
        for (long count : counts) {
            double diff = count - expected;
            sum += diff * diff / expected;
        }
        return sum;
    }
}
