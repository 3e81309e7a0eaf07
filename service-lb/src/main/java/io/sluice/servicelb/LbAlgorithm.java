package io.sluice.servicelb;

import java.util.Optional;

/**
 * How the data path picks a backend for a new connection. Chosen per Service with the annotation
 * {@value #ANNOTATION}; without it, {@link #RANDOM}, as kube-proxy does.
 */
public enum LbAlgorithm {
    /** A uniformly random backend per connection (kube-proxy's behaviour). */
    RANDOM("random"),
    /**
     * Consistent hashing through a {@link MaglevTable}: the same 5-tuple lands on the same backend on every node,
     * and removing a backend moves few connections.
     */
    MAGLEV("maglev");

    /** The Service annotation that selects the algorithm. */
    public static final String ANNOTATION = "sluice.io/lb-algorithm";

    private final String annotationValue;

    LbAlgorithm(String annotationValue) {
        this.annotationValue = annotationValue;
    }

    /** The value of {@value #ANNOTATION} that selects this algorithm. */
    public String annotationValue() {
        return annotationValue;
    }

    /**
     * The algorithm an annotation value selects: absent means {@link #RANDOM}; values are exact, lower case.
     *
     * @return the algorithm, or empty if the value names none
     */
    public static Optional<LbAlgorithm> fromAnnotation(String value) {
        if (value == null) {
            return Optional.of(RANDOM);
        }
        for (LbAlgorithm algorithm : values()) {
            if (algorithm.annotationValue.equals(value)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }
}
