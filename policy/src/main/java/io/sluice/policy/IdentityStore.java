package io.sluice.policy;

import java.util.Map;

/**
 * Persistent record of numeric allocations ({@code key -> id}) so that a restarted agent gives the same
 * labels the same identity and the same pod the same endpoint id, and the ids already in pinned BPF maps
 * keep their meaning. Keys are canonical strings with a prefix per kind of number, so one store can hold
 * them all: {@code identity:} + {@link SecurityLabels#storeKey()}, {@code cidr-identity:} + a CIDR,
 * {@code endpoint:} + namespace/name.
 *
 * <p>Called only from the policy engine's owner thread. The agent backs it with a Chronicle Map file;
 * {@link InMemoryIdentityStore} serves tests and agents without persistence.
 */
public interface IdentityStore {

    /** Every recorded allocation. */
    Map<String, Integer> loadAll();

    /** Records that {@code key} holds {@code id}, replacing any previous record for the key. */
    void put(String key, int id);

    /** Forgets the allocation of {@code key}, if any. */
    void remove(String key);
}
