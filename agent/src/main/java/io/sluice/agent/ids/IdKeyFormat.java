package io.sluice.agent.ids;

/**
 * What the {@code long} keys of one {@link StableIdAllocator} stand for: how a key reads in a message, and which key a
 * string key of a format-1 id file (the agent before packed keys) stands for, so that an upgrade keeps its ids.
 */
public interface IdKeyFormat {

    /** {@code key} as a person reads it, e.g. {@code backend 10.0.0.5:8080/TCP}. */
    String describe(long key);

    /**
     * The packed key that the format-1 string key {@code key} stands for.
     *
     * @throws IllegalArgumentException naming what in {@code key} is wrong
     */
    long fromFormatOne(String key);
}
