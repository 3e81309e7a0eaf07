package io.sluice.policy;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The desired content of the ipcache LPM map: prefix to identity, with the change since the last
 * {@link #drainChanges} call.
 *
 * <h2>How ipBlocks become identities</h2>
 * Every prefix that any accepted ipBlock names, as {@code cidr} or as {@code except}, is an entry with a
 * CIDR identity of its own. Pod addresses are /32 (or /128) entries with the pod's identity, this node's
 * addresses /32 entries with {@link Identities#HOST}; an address no entry covers is
 * {@link Identities#WORLD}. An ipBlock {@code (C, except E1..En)} selects the CIDR identity of prefix P
 * exactly when {@code P ⊆ C} and P lies in no {@code Ei}. For any address a, let P be the longest entry
 * covering a (what the kernel's LPM lookup returns); since C and every Ei are entries themselves:
 * <ul>
 *   <li>a ∈ C, a ∉ any Ei: P is at least as long as C, so P ⊆ C; were P ⊆ Ei then a ∈ Ei: selected.</li>
 *   <li>a ∈ Ei: Ei is an entry covering a, so P ⊆ Ei: not selected.</li>
 *   <li>a ∉ C: P contains a, so P ⊄ C: not selected.</li>
 * </ul>
 * So one LPM lookup yields an identity on which every ipBlock of every policy gives its own verdict,
 * however the blocks of different policies nest or overlap. Pod and host entries are never selected by an
 * ipBlock (an ipBlock covering pod IPs does not select those pods, as in Cilium; see the README).
 *
 * <p>When several owners claim the same exact prefix the host wins over a pod, a pod over a CIDR, and
 * among pods (two live pods never share an address; stale events may) the smallest namespace/name.
 * Not thread-safe: owned by the {@link PolicyEngine}'s thread.
 */
public final class IpCache {

    private static final class Owners {
        boolean host;
        final TreeMap<PodRef, Integer> pods = new TreeMap<>();
        int cidrIdentity = -1;

        int resolve() {
            if (host) return Identities.HOST;
            if (!pods.isEmpty()) return pods.firstEntry().getValue();
            return cidrIdentity;
        }

        boolean isEmpty() {
            return !host && pods.isEmpty() && cidrIdentity < 0;
        }
    }

    /** Entries to write and prefixes to delete since the previous drain. */
    public record Changes(Map<IpPrefix, Integer> upserts, Set<IpPrefix> deletions) {
        public Changes {
            upserts = Map.copyOf(upserts);
            deletions = Set.copyOf(deletions);
        }

        /** Whether nothing changed. */
        public boolean isEmpty() {
            return upserts.isEmpty() && deletions.isEmpty();
        }
    }

    private final Map<IpPrefix, Owners> owners = new HashMap<>();
    private final Map<IpPrefix, Integer> published = new HashMap<>();
    private final Set<IpPrefix> touched = new HashSet<>();

    void setPod(IpPrefix address, PodRef pod, int identity) {
        owners.computeIfAbsent(address, a -> new Owners()).pods.put(pod, identity);
        touched.add(address);
    }

    void removePod(IpPrefix address, PodRef pod) {
        Owners o = owners.get(address);
        if (o != null && o.pods.remove(pod) != null) {
            dropIfEmpty(address, o);
            touched.add(address);
        }
    }

    void setHost(IpPrefix address, boolean host) {
        Owners o = owners.computeIfAbsent(address, a -> new Owners());
        o.host = host;
        dropIfEmpty(address, o);
        touched.add(address);
    }

    void setCidr(IpPrefix prefix, int identity) {
        Owners o = owners.computeIfAbsent(prefix, a -> new Owners());
        o.cidrIdentity = identity;
        dropIfEmpty(prefix, o);
        touched.add(prefix);
    }

    private void dropIfEmpty(IpPrefix prefix, Owners o) {
        if (o.isEmpty()) {
            owners.remove(prefix);
        }
    }

    /** Returns what changed in the published content since the last call and publishes it. */
    Changes drainChanges() {
        Map<IpPrefix, Integer> upserts = new HashMap<>();
        Set<IpPrefix> deletions = new HashSet<>();
        for (IpPrefix p : touched) {
            Owners o = owners.get(p);
            Integer now = o == null ? null : o.resolve();
            Integer before = published.get(p);
            if (now == null) {
                if (before != null) {
                    published.remove(p);
                    deletions.add(p);
                }
            } else if (!now.equals(before)) {
                published.put(p, now);
                upserts.put(p, now);
            }
        }
        touched.clear();
        return new Changes(upserts, deletions);
    }

    /** The published content: every prefix and its identity. */
    public Map<IpPrefix, Integer> entries() {
        return Collections.unmodifiableMap(published);
    }

    /**
     * Longest-prefix lookup over the published content, as the data path does it: the identity of the
     * longest entry covering {@code address}, or {@link Identities#WORLD}.
     */
    public int lookup(IpPrefix address) {
        return lookup(published, address);
    }

    /** Longest-prefix lookup in any prefix → identity table; {@link Identities#WORLD} when nothing covers. */
    public static int lookup(Map<IpPrefix, Integer> table, IpPrefix address) {
        for (int length = address.length(); length >= 0; length--) {
            Integer id = table.get(address.truncate(length));
            if (id != null) {
                return id;
            }
        }
        return Identities.WORLD;
    }
}
