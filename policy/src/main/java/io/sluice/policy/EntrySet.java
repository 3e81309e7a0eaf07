package io.sluice.policy;

import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An immutable set of policy entries that shares its bulk with the sets it was derived from: a persistent hash trie
 * (32 slots a level, 5 bits of the entry's hash each), so that deriving the next set after a change ({@link #with})
 * copies only the few small nodes on the paths of the changed entries, never the set or an overlay of earlier
 * changes. A set remembers the change that made it from its parent, which is the {@link #difference} of the two; any
 * other two sets are compared node by node, skipping every sub-trie they share, so the cost follows what differs.
 *
 * <pre>
 *  root (bits 0-4)   [ entry | node | . | entry | ... ]      a slot holds an entry or a sub-trie
 *                               |
 *  level 1 (bits 5-9)      [ entry | entry ]                 a sub-trie holds at least two entries
 *  ...
 *  below level 6 (all 32 bits used): entries whose hashes are equal, in one collision list
 * </pre>
 *
 * <p>Lets the {@link PolicyEngine} publish a new {@link EndpointPolicy} after a selection change that added or removed
 * a few entries of an endpoint with thousands, and the agent find those few, without copying or scanning the rest.
 */
public final class EntrySet extends AbstractSet<PolicyEntry> {
    private static final int LAST_SHIFT = 30;
    private static final AtomicLong VERSIONS = new AtomicLong();
    private static final EntrySet EMPTY = new EntrySet(Node.EMPTY, 0, 0, List.of(), List.of());

    private final Node root;
    private final int size;
    /** Identifies this set; its parent is remembered by version only, so no chain of old sets stays reachable. */
    private final long version = VERSIONS.incrementAndGet();
    /** The version of the set {@link #with} made this one from (0: none), and the entries that change added, removed. */
    private final long parentVersion;
    private final List<PolicyEntry> plusFromParent;
    private final List<PolicyEntry> minusFromParent;

    /**
     * A trie node: the bitmap of used 5-bit slot numbers, and per used slot (in slot order) an entry or a child. A node
     * is immutable once the call that made it ({@link #of}, {@link #with}) returns; during that call, a node it made
     * itself (tagged with the call's {@code edit} token) is changed in place, so a batch of changes copies each node
     * on their paths once, not once per change.
     */
    private static final class Node {
        static final Node EMPTY = new Node(0, new Object[0], null);
        final int bitmap;
        final Object[] slots;
        final Object edit;

        Node(int bitmap, Object[] slots, Object edit) {
            this.bitmap = bitmap;
            this.slots = slots;
            this.edit = edit;
        }

        int index(int bit) {
            return Integer.bitCount(bitmap & (bit - 1));
        }

        Node replaced(int index, Object slot, Object edit) {
            if (this.edit == edit) {
                slots[index] = slot;
                return this;
            }
            Object[] copy = slots.clone();
            copy[index] = slot;
            return new Node(bitmap, copy, edit);
        }

        Node inserted(int bit, int index, Object slot, Object edit) {
            Object[] copy = new Object[slots.length + 1];
            System.arraycopy(slots, 0, copy, 0, index);
            copy[index] = slot;
            System.arraycopy(slots, index, copy, index + 1, slots.length - index);
            return new Node(bitmap | bit, copy, edit);
        }

        Node without(int bit, int index, Object edit) {
            Object[] copy = new Object[slots.length - 1];
            System.arraycopy(slots, 0, copy, 0, index);
            System.arraycopy(slots, index + 1, copy, index, slots.length - index - 1);
            return new Node(bitmap & ~bit, copy, edit);
        }
    }

    /** Entries whose 32-bit hashes are all equal, below the last level. */
    private static final class Collision {
        private final PolicyEntry[] entries;

        Collision(PolicyEntry[] entries) {
            this.entries = entries;
        }

        PolicyEntry[] entries() {
            return entries;
        }

        boolean has(PolicyEntry entry) {
            for (PolicyEntry e : entries) {
                if (e.equals(entry)) {
                    return true;
                }
            }
            return false;
        }
    }

    private EntrySet(Node root, int size, long parentVersion, List<PolicyEntry> plusFromParent,
                     List<PolicyEntry> minusFromParent) {
        this.root = root;
        this.size = size;
        this.parentVersion = parentVersion;
        this.plusFromParent = plusFromParent;
        this.minusFromParent = minusFromParent;
    }

    /** The entries of {@code entries} (or the set itself, when it is an EntrySet); duplicates count once. */
    public static EntrySet of(Collection<PolicyEntry> entries) {
        if (entries instanceof EntrySet set) {
            return set;
        }
        Edit edit = new Edit();
        Node root = Node.EMPTY;
        int size = 0;
        for (PolicyEntry entry : entries) {
            edit.changed = false;
            root = insert(root, entry, hash(entry), 0, edit);
            if (edit.changed) {
                size++;
            }
        }
        return size == 0 ? EMPTY : new EntrySet(root, size, 0, List.of(), List.of());
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
        for (PolicyEntry entry : plus) {
            if (contains(entry)) {
                throw new IllegalArgumentException("entry set: adding " + entry + ", which it holds already");
            }
        }
        Edit edit = new Edit();
        Node next = root;
        List<PolicyEntry> removed = new ArrayList<>(minus.size());
        for (PolicyEntry entry : minus) {
            edit.changed = false;
            next = (Node) remove(next, entry, hash(entry), 0, edit);
            if (edit.changed) {
                removed.add(entry);
            } else if (!contains(entry)) { // else named twice in minus
                throw new IllegalArgumentException("entry set: removing " + entry + ", which it does not hold");
            }
        }
        List<PolicyEntry> added = new ArrayList<>(plus.size());
        for (PolicyEntry entry : plus) {
            edit.changed = false;
            next = insert(next, entry, hash(entry), 0, edit);
            if (edit.changed) { // else named twice in plus
                added.add(entry);
            }
        }
        return new EntrySet(next, size + added.size() - removed.size(), version, added, removed);
    }

    /**
     * The entries of {@code a} that {@code b} lacks. When one EntrySet was made from the other by {@link #with}, that
     * change is the answer; other EntrySets are compared node by node, skipping the sub-tries they share, so the cost
     * follows what differs; otherwise every entry of {@code a} is looked up in {@code b}.
     */
    public static Set<PolicyEntry> difference(Set<PolicyEntry> a, Set<PolicyEntry> b) {
        if (a == b || a.isEmpty()) {
            return Set.of();
        }
        if (a instanceof EntrySet x && b instanceof EntrySet y) {
            if (x.parentVersion == y.version) {
                return new DistinctEntries(x.plusFromParent);
            }
            if (y.parentVersion == x.version) {
                return new DistinctEntries(y.minusFromParent);
            }
        }
        List<PolicyEntry> out = new ArrayList<>();
        if (a instanceof EntrySet x && b instanceof EntrySet y) {
            difference(x.root, y.root, 0, out);
        } else {
            for (PolicyEntry entry : a) {
                if (!b.contains(entry)) {
                    out.add(entry);
                }
            }
        }
        return new DistinctEntries(out);
    }

    @Override
    public boolean contains(Object o) {
        return o instanceof PolicyEntry entry && contains(root, entry, hash(entry), 0);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Iterator<PolicyEntry> iterator() {
        return new TrieIterator(root);
    }

    /** The trie's hash of an entry: its hashCode with the bits mixed, so every 5-bit slice varies. */
    private static int hash(PolicyEntry entry) {
        int h = entry.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    private static int bit(int hash, int shift) {
        return 1 << ((hash >>> shift) & 31);
    }

    private static boolean contains(Node node, PolicyEntry entry, int hash, int shift) {
        while (true) {
            int bit = bit(hash, shift);
            if ((node.bitmap & bit) == 0) {
                return false;
            }
            Object slot = node.slots[node.index(bit)];
            if (slot instanceof Node child) {
                node = child;
                shift += 5;
            } else {
                return slotContains(slot, entry, hash, shift + 5);
            }
        }
    }

    /** Whether a slot's content (an entry, a sub-trie whose level starts at {@code shift}, a collision) holds it. */
    private static boolean slotContains(Object slot, PolicyEntry entry, int hash, int shift) {
        if (slot instanceof PolicyEntry e) {
            return e.equals(entry);
        }
        if (slot instanceof Node n) {
            return contains(n, entry, hash, shift);
        }
        return ((Collision) slot).has(entry);
    }

    /**
     * The token of one {@link #of} or {@link #with} call: nodes tagged with it may be changed in place until the call
     * returns; {@code changed} tells whether the last insert or remove found something to do.
     */
    private static final class Edit {
        boolean changed;
    }

    /** {@code node} with {@code entry} added (unchanged when it holds the entry already). */
    private static Node insert(Node node, PolicyEntry entry, int hash, int shift, Edit edit) {
        int bit = bit(hash, shift);
        int index = node.index(bit);
        if ((node.bitmap & bit) == 0) {
            edit.changed = true;
            return node.inserted(bit, index, entry, edit);
        }
        Object slot = node.slots[index];
        Object next;
        if (slot instanceof PolicyEntry e) {
            if (e.equals(entry)) {
                return node;
            }
            edit.changed = true;
            next = pair(e, hash(e), entry, hash, shift + 5, edit);
        } else if (slot instanceof Node child) {
            next = insert(child, entry, hash, shift + 5, edit);
            if (next == child) {
                return node;
            }
        } else {
            Collision c = (Collision) slot;
            if (c.has(entry)) {
                return node;
            }
            edit.changed = true;
            PolicyEntry[] more = java.util.Arrays.copyOf(c.entries(), c.entries().length + 1);
            more[c.entries().length] = entry;
            next = new Collision(more);
        }
        return node.replaced(index, next, edit);
    }

    /** The sub-trie, starting at level {@code shift}, holding two different entries. */
    private static Object pair(PolicyEntry a, int hashA, PolicyEntry b, int hashB, int shift, Edit edit) {
        if (shift > LAST_SHIFT) {
            return new Collision(new PolicyEntry[] {a, b});
        }
        int bitA = bit(hashA, shift);
        int bitB = bit(hashB, shift);
        if (bitA == bitB) {
            return new Node(bitA, new Object[] {pair(a, hashA, b, hashB, shift + 5, edit)}, edit);
        }
        return new Node(bitA | bitB, Integer.compareUnsigned(bitA, bitB) < 0 ? new Object[] {a, b} : new Object[] {b, a},
                edit);
    }

    /**
     * {@code node} without {@code entry} (unchanged when it lacks the entry). Below the root, a node left with a single
     * entry becomes that entry (so a sub-trie always holds two or more).
     */
    private static Object remove(Node node, PolicyEntry entry, int hash, int shift, Edit edit) {
        int bit = bit(hash, shift);
        if ((node.bitmap & bit) == 0) {
            return node;
        }
        int index = node.index(bit);
        Object slot = node.slots[index];
        Node next;
        if (slot instanceof PolicyEntry e) {
            if (!e.equals(entry)) {
                return node;
            }
            edit.changed = true;
            next = node.without(bit, index, edit);
        } else if (slot instanceof Node child) {
            Object after = remove(child, entry, hash, shift + 5, edit);
            if (after == child) {
                return node;
            }
            next = node.replaced(index, after, edit);
        } else {
            Collision c = (Collision) slot;
            if (!c.has(entry)) {
                return node;
            }
            edit.changed = true;
            PolicyEntry[] rest = new PolicyEntry[c.entries().length - 1];
            int i = 0;
            for (PolicyEntry e : c.entries()) {
                if (!e.equals(entry)) {
                    rest[i++] = e;
                }
            }
            next = node.replaced(index, rest.length == 1 ? rest[0] : new Collision(rest), edit);
        }
        if (shift > 0 && next.slots.length == 1 && next.slots[0] instanceof PolicyEntry only) {
            return only;
        }
        return next;
    }

    /** Adds the entries under {@code x} that are not under {@code y}; both nodes start at level {@code shift}. */
    private static void difference(Node x, Node y, int shift, List<PolicyEntry> out) {
        if (x == y) {
            return;
        }
        int rest = x.bitmap;
        for (int i = 0; i < x.slots.length; i++, rest &= rest - 1) {
            Object slot = x.slots[i];
            int bit = Integer.lowestOneBit(rest);
            if ((y.bitmap & bit) == 0) {
                addAll(slot, out);
                continue;
            }
            Object other = y.slots[y.index(bit)];
            if (slot == other) {
                continue;
            }
            if (slot instanceof Node a && other instanceof Node b) {
                difference(a, b, shift + 5, out);
            } else {
                List<PolicyEntry> under = new ArrayList<>();
                addAll(slot, under);
                for (PolicyEntry entry : under) {
                    if (!slotContains(other, entry, hash(entry), shift + 5)) {
                        out.add(entry);
                    }
                }
            }
        }
    }

    private static void addAll(Object slot, List<PolicyEntry> out) {
        if (slot instanceof PolicyEntry e) {
            out.add(e);
        } else if (slot instanceof Node n) {
            for (Object s : n.slots) {
                addAll(s, out);
            }
        } else {
            out.addAll(List.of(((Collision) slot).entries()));
        }
    }

    /** Walks the trie depth first: one cursor per level (at most eight levels, then a collision list). */
    private static final class TrieIterator implements Iterator<PolicyEntry> {
        private final Object[][] stack = new Object[9][];
        private final int[] positions = new int[9];
        private int depth;
        private PolicyEntry next;

        TrieIterator(Node root) {
            stack[0] = root.slots;
            advance();
        }

        private void advance() {
            next = null;
            while (depth >= 0) {
                Object[] slots = stack[depth];
                if (positions[depth] == slots.length) {
                    depth--;
                    continue;
                }
                Object slot = slots[positions[depth]++];
                if (slot instanceof PolicyEntry e) {
                    next = e;
                    return;
                }
                stack[++depth] = slot instanceof Node n ? n.slots : ((Collision) slot).entries();
                positions[depth] = 0;
            }
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
            advance();
            return out;
        }
    }

    /** A read-only set over a list of distinct entries: built without hashing, for results that are iterated. */
    private static final class DistinctEntries extends AbstractSet<PolicyEntry> {
        private final List<PolicyEntry> entries;

        DistinctEntries(List<PolicyEntry> entries) {
            this.entries = entries;
        }

        @Override
        public Iterator<PolicyEntry> iterator() {
            return java.util.Collections.unmodifiableList(entries).iterator();
        }

        @Override
        public int size() {
            return entries.size();
        }
    }
}
