package io.sluice.servicelb;

/**
 * Settings of the translation, validated once when created.
 *
 * @param maglevTableSize       slots per Maglev table, a prime in {@value MaglevTable#MIN_SIZE}..{@value
 *                              MaglevTable#MAX_SIZE} (default {@value MaglevTable#DEFAULT_SIZE})
 * @param maxBackendsPerService most backends one frontend may have; a Service port with more is refused
 *                              (default {@value #DEFAULT_MAX_BACKENDS_PER_SERVICE}); below
 *                              {@code maglevTableSize} so that every backend gets a slot
 */
public record ServiceLbConfig(int maglevTableSize, int maxBackendsPerService) {

    /** Default for {@link #maxBackendsPerService()}. */
    public static final int DEFAULT_MAX_BACKENDS_PER_SERVICE = 1024;

    /** The defaults. */
    public static final ServiceLbConfig DEFAULTS =
            new ServiceLbConfig(MaglevTable.DEFAULT_SIZE, DEFAULT_MAX_BACKENDS_PER_SERVICE);

    /**
     * @throws IllegalArgumentException naming the setting, if a value is out of range
     */
    public ServiceLbConfig {
        String sizeProblem = MaglevTable.sizeProblem(maglevTableSize);
        if (sizeProblem != null) {
            throw new IllegalArgumentException("maglevTableSize: " + sizeProblem);
        }
        if (maxBackendsPerService < 1 || maxBackendsPerService >= maglevTableSize) {
            throw new IllegalArgumentException("maxBackendsPerService: " + maxBackendsPerService
                    + " is out of range 1.." + (maglevTableSize - 1) + " (must be below maglevTableSize="
                    + maglevTableSize + ")");
        }
    }
}
