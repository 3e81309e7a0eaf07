package io.sluice.policy;

import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An immutable set of policy entries that shares its bulk with the sets it was derived from: a base snapshot, the
 * entries added since (none of them in the base) and the base entries removed since. Deriving the next set after a
 * change ({@link #with}) costs the size of the change and of the overlay, not of the set; the overlay is folded into a
 * new base once it outgrows {@value #MIN_OVERLAY} entries and a sixteenth of the base, so that cost stays bounded and
 * the folds add a constant per changed entry (each set folds at its own point between one and two times that bound, so
 * sets that change in step do not all fold in the same change). Two sets are compared ({@link #difference}) by the
 * change between them when one was derived from the other, else by their overlays when they share a base.
 *
 * <p>Lets the {@link PolicyEngine} publish a new {@link EndpointPolicy} after a selection change that added or removed
 * a few entries of an endpoint with thousands, and the agent find those few, without copying or scanning the rest.
 */
public final class EntrySet extends AbstractSet<PolicyEntry> {
    private static final int MIN_OVERLAY = 64;
    private static final AtomicLong VERSIONS = new AtomicLong();
    private static final EntrySet EMPTY = new EntrySet(Set.of(), Set.of(), Set.of(), 0, Set.of(), Set.of());

    private final Set<PolicyEntry> base;
    private final Set<PolicyEntry> added;
    private final Set<PolicyEntry> removed;
    private final int size;
    /** Identifies this set; its parent is remembered by version only, so no chain of old sets stays reachable. */
    private final long version = VERSIONS.incrementAndGet();
    /** The version of the set {@link #with} made this one from (0: none), and that change. */
    private final long parentVersion;
    private final Set<PolicyEntry> plusFromParent;
    private final Set<PolicyEntry> minusFromParent;

    private EntrySet(Set<PolicyEntry> base, Set<PolicyEntry> added, Set<PolicyEntry> removed, long parentVersion,
                     Set<PolicyEntry> plusFromParent, Set<PolicyEntry> minusFromParent) {
        this.base = base;
        this.added = added;
        this.removed = removed;
        this.size = base.size() + added.size() - removed.size();
        this.parentVersion = parentVersion;
        this.plusFromParent = plusFromParent;
        this.minusFromParent = minusFromParent;
    }

    /** The entries of {@code entries}, as a new base (or itself, when it is an EntrySet). */
    public static EntrySet of(Collection<PolicyEntry> entries) {
        if (entries instanceof EntrySet set) {
            return set;
        }
        return entries.isEmpty() ? EMPTY
                : new EntrySet(Set.of(entries.toArray(PolicyEntry[]::new)), Set.of(), Set.of(), 0, Set.of(), Set.of());
    }

    /**
     * This set with {@code plus} added and {@code minus} removed.
     *
     * @param plus  entries not in this set
     * @param minus entries in this set
     * @throws IllegalArgumentException if an entry of {@code plus} is present or one of {@code minus} absent
     */
    public EntrySet with(Collection<PolicyEntry> plus, Collection<PolicyEntry> minus) {
        if (plus.isEmpty() && minus.isEmpty()) {
            return this;
        }
        Set<PolicyEntry> plusSet = Set.copyOf(plus);
        Set<PolicyEntry> minusSet = Set.copyOf(minus);
        for (PolicyEntry entry : minusSet) {
            if (!contains(entry)) {
                throw new IllegalArgumentException("entry set: removing " + entry + ", which it does not hold");
            }
        }
        for (PolicyEntry entry : plusSet) {
            if (contains(entry)) {
                throw new IllegalArgumentException("entry set: adding " + entry + ", which it holds already");
            }
        }
        // The overlays after the change: an added entry that goes leaves the overlay, a removed base entry that
        // comes back leaves the removals; lists then one copy into immutable sets.
        List<PolicyEntry> nextAdded = new ArrayList<>(added.size() + plusSet.size());
        for (PolicyEntry entry : added) {
            if (!minusSet.contains(entry)) {
                nextAdded.add(entry);
            }
        }
        for (PolicyEntry entry : plusSet) {
            if (!removed.contains(entry)) {
                nextAdded.add(entry);
            }
        }
        List<PolicyEntry> nextRemoved = new ArrayList<>(removed.size() + minusSet.size());
        for (PolicyEntry entry : removed) {
            if (!plusSet.contains(entry)) {
                nextRemoved.add(entry);
            }
        }
        for (PolicyEntry entry : minusSet) {
            if (!added.contains(entry)) {
                nextRemoved.add(entry);
            }
        }
        int bound = Math.max(MIN_OVERLAY, base.size() / 16);
        if (nextAdded.size() + nextRemoved.size() > bound + Math.floorMod(System.identityHashCode(base), bound)) {
            Set<PolicyEntry> gone = Set.of(nextRemoved.toArray(PolicyEntry[]::new));
            List<PolicyEntry> all = new ArrayList<>(base.size() + nextAdded.size());
            for (PolicyEntry entry : base) {
                if (!gone.contains(entry)) {
                    all.add(entry);
                }
            }
            all.addAll(nextAdded);
            return new EntrySet(Set.of(all.toArray(PolicyEntry[]::new)), Set.of(), Set.of(), version, plusSet, minusSet);
        }
        return new EntrySet(base, Set.of(nextAdded.toArray(PolicyEntry[]::new)),
                Set.of(nextRemoved.toArray(PolicyEntry[]::new)), version, plusSet, minusSet);
    }

    /**
     * The entries of {@code a} that {@code b} lacks. When one EntrySet was made from the other by {@link #with}, that
     * change is the answer; when both share a base, only their overlays are looked at; otherwise every entry of
     * {@code a}.
     */
    public static Set<PolicyEntry> difference(Set<PolicyEntry> a, Set<PolicyEntry> b) {
        if (a == b || a.isEmpty()) {
            return Set.of();
        }
        if (a instanceof EntrySet x && b instanceof EntrySet y) {
            if (x.parentVersion == y.version) {
                return x.plusFromParent;
            }
            if (y.parentVersion == x.version) {
                return y.minusFromParent;
            }
        }
        Set<PolicyEntry> out = new HashSet<>();
        if (a instanceof EntrySet x && b instanceof EntrySet y && x.base == y.base) {
            // In a and not in b: added to a (and not in b), or removed from b's base view and still in a.
            for (PolicyEntry entry : x.added) {
                if (!y.contains(entry)) {
                    out.add(entry);
                }
            }
            for (PolicyEntry entry : y.removed) {
                if (x.contains(entry)) {
                    out.add(entry);
                }
            }
            return out;
        }
        for (PolicyEntry entry : a) {
            if (!b.contains(entry)) {
                out.add(entry);
            }
        }
        return out;
    }

    @Override
    public boolean contains(Object o) {
        return added.contains(o) || (base.contains(o) && !removed.contains(o));
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Iterator<PolicyEntry> iterator() {
        return new Iterator<>() {
            private final Iterator<PolicyEntry> fromBase = base.iterator();
            private final Iterator<PolicyEntry> fromAdded = added.iterator();
            private PolicyEntry next = advance();

            private PolicyEntry advance() {
                while (fromBase.hasNext()) {
                    PolicyEntry entry = fromBase.next();
                    if (!removed.contains(entry)) {
                        return entry;
                    }
                }
                return fromAdded.hasNext() ? fromAdded.next() : null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public PolicyEntry next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                PolicyEntry out = next;
                next = advance();
                return out;
            }
        };
    }
}
