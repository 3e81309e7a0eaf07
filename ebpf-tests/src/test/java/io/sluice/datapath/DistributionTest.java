package io.sluice.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

/**
 * The balancing checks' sample size and bound ({@link Distribution}) against what they promise: a clean CI run fails
 * by chance with probability below 1e-5, and a backend weighted 1.5:1:1:1 (or one never chosen) is caught with
 * probability above 0.999. Computed exactly over the multinomial distribution of the counts, and simulated with
 * {@link Random} choosers; the design the checks had before (400 samples, bound 16.27) fails both promises, so
 * these tests can tell.
 */
class DistributionTest {
    /** ClusterIpBalancingTest's checks on random choices per run (MaglevTest's counts are the same every run). */
    private static final int RANDOM_CHECKS_PER_RUN = 4;
    private static final double FAILURE_PER_RUN_MAX = 1e-5;
    private static final double MISS_MAX = 1e-3;
    private static final double[] FAIR = {0.25, 0.25, 0.25, 0.25};
    private static final double[] SKEWED = {1.5 / 4.5, 1 / 4.5, 1 / 4.5, 1 / 4.5};
    /** SKEWED as draws from nextInt(9): backend 0 three ninths, the others two ninths each. */
    private static final int[] SKEWED_BY_NINTHS = {0, 0, 0, 1, 1, 2, 2, 3, 3};
    private static final ToIntFunction<Random> FAIR_CHOOSER = random -> random.nextInt(4);
    private static final ToIntFunction<Random> SKEWED_CHOOSER = random -> SKEWED_BY_NINTHS[random.nextInt(9)];
    private static final int SIMULATED_RUNS = 10_000;
    /** Fewer for a chooser that never picks one backend: every run is far beyond the bound. */
    private static final int MISSING_RUNS = 1_000;

    @Test
    void aFairChooserFailsACleanRunWithProbabilityBelowOneInAHundredThousand() {
        double perCheck = 1 - probabilityWithinBound(Distribution.SAMPLES, Distribution.CHI_SQUARE_BOUND, FAIR);
        System.out.printf("fair chooser, %d samples, bound %.2f: exceeds it with probability %.3g per check, %.3g per"
                + " run of %d checks%n", Distribution.SAMPLES, Distribution.CHI_SQUARE_BOUND, perCheck,
                perCheck * RANDOM_CHECKS_PER_RUN, RANDOM_CHECKS_PER_RUN);

        assertThat(perCheck * RANDOM_CHECKS_PER_RUN).isLessThan(FAILURE_PER_RUN_MAX);
    }

    @Test
    void aBackendWeightedOneAndAHalfTimesTheOthersIsCaughtWithProbabilityAboveNineNinetyNine() {
        double miss = probabilityWithinBound(Distribution.SAMPLES, Distribution.CHI_SQUARE_BOUND, SKEWED);
        System.out.printf("1.5:1:1:1 chooser, %d samples, bound %.2f: stays within it with probability %.3g%n",
                Distribution.SAMPLES, Distribution.CHI_SQUARE_BOUND, miss);

        assertThat(miss).isLessThan(MISS_MAX);
    }

    @Test
    void aBackendNeverChosenIsAlwaysCaught() {
        // A backend with no sample contributes expected^2 / expected = SAMPLES / 4 by itself; the others only add.
        assertThat(Distribution.SAMPLES / 4.0).isGreaterThan(Distribution.CHI_SQUARE_BOUND);
        int third = Distribution.SAMPLES / 3;
        assertThat(Distribution.chiSquare(0, third, third, Distribution.SAMPLES - 2 * third))
                .isGreaterThanOrEqualTo(Distribution.SAMPLES / 4.0);
    }

    @Test
    void simulatedChoosersAgreeWithTheComputedRates() {
        Random random = new Random(20261130);
        int samples = Distribution.SAMPLES;
        double bound = Distribution.CHI_SQUARE_BOUND;
        int falseAlarms = failedRuns(random, SIMULATED_RUNS, samples, bound, FAIR_CHOOSER);
        int misses = SIMULATED_RUNS - failedRuns(random, SIMULATED_RUNS, samples, bound, SKEWED_CHOOSER);
        int missingMisses = MISSING_RUNS - failedRuns(random, MISSING_RUNS, samples, bound, r -> 1 + r.nextInt(3));
        System.out.printf("simulated runs of %d samples: fair chooser failed %d of %d, 1.5:1:1:1 chooser passed %d of"
                + " %d, chooser without backend 0 passed %d of %d%n", samples, falseAlarms, SIMULATED_RUNS, misses,
                SIMULATED_RUNS, missingMisses, MISSING_RUNS);

        // Expected 0.01 false alarms and about 1 miss in 10,000 runs; 2 or more false alarms would have probability
        // 5e-5, and 10 misses mean a miss rate of 1e-3.
        assertThat(falseAlarms).isLessThanOrEqualTo(1);
        assertThat(misses).isLessThan((int) (MISS_MAX * SIMULATED_RUNS));
        assertThat(missingMisses).isZero();
    }

    @Test
    void theEarlierFourHundredSamplesAtPOneInAThousandFailedBothPromises() {
        int samples = 400;
        double bound = 16.27;
        double perCheck = 1 - probabilityWithinBound(samples, bound, FAIR);
        double miss = probabilityWithinBound(samples, bound, SKEWED);
        Random random = new Random(20261130);
        int simulatedMisses = SIMULATED_RUNS - failedRuns(random, SIMULATED_RUNS, samples, bound, SKEWED_CHOOSER);
        System.out.printf("%d samples, bound %.2f: %.3g per run of %d checks, 1.5:1:1:1 missed with probability %.3g"
                + " (simulated %d of %d)%n", samples, bound, perCheck * RANDOM_CHECKS_PER_RUN, RANDOM_CHECKS_PER_RUN,
                miss, simulatedMisses, SIMULATED_RUNS);

        assertThat(perCheck * RANDOM_CHECKS_PER_RUN).isGreaterThan(FAILURE_PER_RUN_MAX);
        assertThat(miss).isGreaterThan(MISS_MAX);
        assertThat(simulatedMisses).isGreaterThan((int) (MISS_MAX * SIMULATED_RUNS));
    }

    @Test
    void theStatisticOfCountsAndOfAnswersAgree() {
        Map<String, Long> counts = Distribution.byBackend(List.of("web1 a", "web2 a", "web2 b", "web4 c"));

        assertThat(counts).containsExactly(Map.entry("web1", 1L), Map.entry("web2", 2L), Map.entry("web4", 1L));
        assertThat(Distribution.chiSquare(counts, List.of("web1", "web2", "web3", "web4")))
                .isEqualTo(Distribution.chiSquare(1, 2, 0, 1)).isEqualTo(2.0);
    }

    /**
     * How many of {@code runs} runs of {@code samples} choices of {@code chooser} among four backends give counts that
     * reach {@code bound}.
     */
    private static int failedRuns(Random random, int runs, int samples, double bound, ToIntFunction<Random> chooser) {
        int failed = 0;
        long[] counts = new long[4];
        for (int run = 0; run < runs; run++) {
            Arrays.fill(counts, 0);
            for (int i = 0; i < samples; i++) {
                counts[chooser.applyAsInt(random)]++;
            }
            if (Distribution.chiSquare(counts) >= bound) {
                failed++;
            }
        }
        return failed;
    }

    /**
     * The probability that {@code samples} draws, each choosing backend i with probability {@code p[i]}, give counts
     * whose chi-square stays below {@code bound}: the multinomial probabilities of all such count vectors, summed.
     * Each backend's term is at most the sum, so every such vector lies within expected +- sqrt(bound * expected)
     * of each count: the loops visit them all.
     */
    private static double probabilityWithinBound(int samples, double bound, double[] p) {
        double expected = samples / 4.0;
        int low = Math.max(0, (int) Math.floor(expected - Math.sqrt(bound * expected)));
        int high = Math.min(samples, (int) Math.ceil(expected + Math.sqrt(bound * expected)));
        double[] logFactorial = new double[samples + 1];
        for (int i = 1; i <= samples; i++) {
            logFactorial[i] = logFactorial[i - 1] + Math.log(i);
        }
        double[] logP = new double[4];
        for (int i = 0; i < 4; i++) {
            logP[i] = Math.log(p[i]);
        }
        long[] counts = new long[4];
        double within = 0;
        for (int a = low; a <= high; a++) {
            for (int b = low; b <= high; b++) {
                double row = 0;
                for (int c = low; c <= high; c++) {
                    int d = samples - a - b - c;
                    if (d < low || d > high) {
                        continue;
                    }
                    counts[0] = a;
                    counts[1] = b;
                    counts[2] = c;
                    counts[3] = d;
                    if (Distribution.chiSquare(counts) < bound) {
                        row += Math.exp(logFactorial[samples] - logFactorial[a] - logFactorial[b] - logFactorial[c]
                                - logFactorial[d] + a * logP[0] + b * logP[1] + c * logP[2] + d * logP[3]);
                    }
                }
                within += row;
            }
        }
        return within;
    }
}
