package io.sluice.policy;

import java.util.HashMap;
import java.util.Map;

/**
 * Allocates stable numeric identities: one per distinct {@link SecurityLabels} (pods) and one per CIDR
 * prefix that a policy names, each reference-counted by its users. Allocations are recorded in an
 * {@link IdentityStore}; a new allocator over the same store gives the same labels the same number.
 * Restored numbers that nobody claims stay reserved until {@link #releaseUnreferenced()}, which the owner
 * calls once the initial listing of pods, namespaces and policies is complete.
 *
 * <p>Not thread-safe: owned by the {@link PolicyEngine}'s thread.
 */
public final class IdentityAllocator {

    private final IdPool pods;
    private final IdPool cidrs;
    private final Map<Integer, SecurityLabels> labelsById = new HashMap<>();
    private final Map<Integer, IpPrefix> prefixById = new HashMap<>();

    /** Result of an acquire: the identity and whether it just became live (selectors must see it). */
    public record Allocation(int id, boolean created) {
    }

    public IdentityAllocator(IdentityStore store) {
        this.pods = new IdPool(store, "identity:", Identities.FIRST_POD, Identities.LAST_POD);
        this.cidrs = new IdPool(store, "cidr-identity:", Identities.FIRST_CIDR, Identities.LAST_CIDR);
    }

    /** Takes a reference on the identity of {@code labels}. */
    public Allocation acquire(SecurityLabels labels) {
        IdPool.Acquired a = pods.acquire(labels.storeKey());
        labelsById.put(a.id(), labels);
        return new Allocation(a.id(), a.created());
    }

    /** Drops a reference; true when the identity was freed. */
    public boolean release(SecurityLabels labels) {
        int id = pods.idOf(labels.storeKey());
        boolean freed = pods.release(labels.storeKey());
        if (freed) {
            labelsById.remove(id);
        }
        return freed;
    }

    /** Takes a reference on the CIDR identity of {@code prefix}. */
    public Allocation acquire(IpPrefix prefix) {
        IdPool.Acquired a = cidrs.acquire(prefix.toString());
        prefixById.put(a.id(), prefix);
        return new Allocation(a.id(), a.created());
    }

    /** Drops a reference on a CIDR identity; true when it was freed. */
    public boolean release(IpPrefix prefix) {
        int id = cidrs.idOf(prefix.toString());
        boolean freed = cidrs.release(prefix.toString());
        if (freed) {
            prefixById.remove(id);
        }
        return freed;
    }

    /** Live identity of {@code labels}, or -1. */
    public int idOf(SecurityLabels labels) {
        int id = pods.idOf(labels.storeKey());
        return labelsById.containsKey(id) ? id : -1;
    }

    /** Live CIDR identity of {@code prefix}, or -1. */
    public int idOf(IpPrefix prefix) {
        int id = cidrs.idOf(prefix.toString());
        return prefixById.containsKey(id) ? id : -1;
    }

    /** Labels of a live pod identity, or null. */
    public SecurityLabels labelsOf(int id) {
        return labelsById.get(id);
    }

    /** Prefix of a live CIDR identity, or null. */
    public IpPrefix prefixOf(int id) {
        return prefixById.get(id);
    }

    /** Number of live pod identities. */
    public int livePodIdentities() {
        return pods.liveCount();
    }

    /** Number of live CIDR identities. */
    public int liveCidrIdentities() {
        return cidrs.liveCount();
    }

    /** Frees restored allocations that were not claimed again; returns how many. */
    public int releaseUnreferenced() {
        return pods.releaseUnreferenced() + cidrs.releaseUnreferenced();
    }

    /** Human-readable meaning of an identity, for logs and the CLI. */
    public String describe(int id) {
        return switch (id) {
            case Identities.ANY -> "any";
            case Identities.HOST -> "host";
            case Identities.WORLD -> "world";
            default -> {
                if (labelsById.containsKey(id)) yield id + " " + labelsById.get(id);
                if (prefixById.containsKey(id)) yield id + " cidr:" + prefixById.get(id);
                yield id + " (unknown)";
            }
        };
    }
}
