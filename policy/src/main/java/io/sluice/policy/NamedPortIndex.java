package io.sluice.policy;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * For each named port (name and protocol), which pod identities declare it and with which numbers,
 * counted over the pods of each identity. Egress rules with named ports read it: the destination of an
 * egress packet is known only by its identity, so a named port resolves to the numbers that the pods of
 * that identity give the name (identical for pods of one workload; see the README for the rare case where
 * pods with equal labels disagree).
 */
final class NamedPortIndex {

    private final Map<NamedPortKey, Map<Integer, Map<Integer, Integer>>> index = new HashMap<>();

    /** A (identity, named port) whose set of numbers changed. */
    record Change(int identity, NamedPortKey key) {
    }

    void add(int identity, Map<NamedPortKey, Set<Integer>> ports, Collection<Change> changes) {
        for (Map.Entry<NamedPortKey, Set<Integer>> e : ports.entrySet()) {
            Map<Integer, Integer> counts = index.computeIfAbsent(e.getKey(), k -> new HashMap<>())
                    .computeIfAbsent(identity, k -> new HashMap<>());
            for (Integer port : e.getValue()) {
                if (counts.merge(port, 1, Integer::sum) == 1) {
                    changes.add(new Change(identity, e.getKey()));
                }
            }
        }
    }

    void remove(int identity, Map<NamedPortKey, Set<Integer>> ports, Collection<Change> changes) {
        for (Map.Entry<NamedPortKey, Set<Integer>> e : ports.entrySet()) {
            Map<Integer, Map<Integer, Integer>> byIdentity = index.get(e.getKey());
            Map<Integer, Integer> counts = byIdentity.get(identity);
            for (Integer port : e.getValue()) {
                int left = counts.merge(port, -1, Integer::sum);
                if (left == 0) {
                    counts.remove(port);
                    changes.add(new Change(identity, e.getKey()));
                }
            }
            if (counts.isEmpty()) {
                byIdentity.remove(identity);
                if (byIdentity.isEmpty()) index.remove(e.getKey());
            }
        }
    }

    /** Numbers the pods of {@code identity} give {@code key}. */
    Set<Integer> ports(int identity, NamedPortKey key) {
        Map<Integer, Map<Integer, Integer>> byIdentity = index.get(key);
        if (byIdentity == null) return Set.of();
        Map<Integer, Integer> counts = byIdentity.get(identity);
        return counts == null ? Set.of() : counts.keySet();
    }

    /** Every identity declaring {@code key}, with its numbers. */
    Map<Integer, Map<Integer, Integer>> identitiesWith(NamedPortKey key) {
        return index.getOrDefault(key, Map.of());
    }
}
