package io.sluice.servicelb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A Maglev lookup table (Eisenbud et al., NSDI 2016): {@link #size()} slots, each holding the index of a backend in
 * {@link #backends()}. The data path hashes a connection's 5-tuple to a slot and sends it to that slot's backend,
 * so every node picks the same backend for the same connection, and removing one backend out of N moves about
 * 1/N of the slots.
 *
 * <p>Same input, same table, on every node and in every run: the backends are sorted by address and port (a
 * key that does not depend on the node or on input order) before the table is built, and their permutations come
 * from a fixed hash of that key. With N backends each gets ⌊M/N⌋ or ⌈M/N⌉ slots.
 *
 * <p>The size M must be prime (every skip then walks all slots); it should be well above the number of
 * backends (Maglev's guidance: M ≥ 100·N keeps disruption near the minimum). Immutable; value equality.
 */
public final class MaglevTable {

    /** Default table size, the same as Cilium's: a prime. */
    public static final int DEFAULT_SIZE = 16_381;
    /** Smallest accepted table size. */
    public static final int MIN_SIZE = 251;
    /** Largest accepted table size (512 KiB of slots per frontend). */
    public static final int MAX_SIZE = 131_071;

    private static final long OFFSET_SEED = 0x6A09E667F3BCC909L;
    private static final long SKIP_SEED = 0xBB67AE8584CAA73BL;

    private final List<ServiceBackend> backends;
    private final int[] lookup;

    private MaglevTable(List<ServiceBackend> backends, int[] lookup) {
        this.backends = backends;
        this.lookup = lookup;
    }

    /**
     * Builds the table for the given backends (in any order) with {@code size} slots.
     *
     * @throws IllegalArgumentException if {@code size} is not a prime in {@value #MIN_SIZE}..{@value #MAX_SIZE},
     *                                  if there are no backends or more than {@code size}, or if two backends have
     *                                  the same address, port and protocol
     */
    public static MaglevTable build(Collection<ServiceBackend> backends, int size) {
        String sizeProblem = sizeProblem(size);
        if (sizeProblem != null) {
            throw new IllegalArgumentException("Maglev table size " + sizeProblem);
        }
        List<ServiceBackend> sorted = new ArrayList<>(backends);
        sorted.sort(null);
        if (sorted.isEmpty() || sorted.size() > size) {
            throw new IllegalArgumentException("a Maglev table of size " + size + " needs 1.." + size
                    + " backends, got " + sorted.size());
        }
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).sameEndpoint(sorted.get(i - 1))) {
                throw new IllegalArgumentException("backend " + sorted.get(i) + " appears twice");
            }
        }
        return new MaglevTable(List.copyOf(sorted), populate(sorted, size));
    }

    /**
     * Why {@code size} cannot be a table size, or null if it can.
     */
    static String sizeProblem(int size) {
        if (size < MIN_SIZE || size > MAX_SIZE) {
            return size + " is out of range " + MIN_SIZE + ".." + MAX_SIZE;
        }
        if (!isPrime(size)) {
            return size + " is not prime";
        }
        return null;
    }

    /** True if {@code n} is a prime number. */
    public static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Maglev's population: backends take turns, each claiming the next free slot of its own permutation
     * (offset + j·skip mod M), until every slot is taken. Taking turns is what balances the table.
     */
    private static int[] populate(List<ServiceBackend> backends, int size) {
        int n = backends.size();
        long[] position = new long[n];
        long[] skip = new long[n];
        for (int i = 0; i < n; i++) {
            ServiceBackend backend = backends.get(i);
            position[i] = Math.floorMod(hash(backend, OFFSET_SEED), (long) size);
            skip[i] = Math.floorMod(hash(backend, SKIP_SEED), (long) size - 1) + 1;
        }
        int[] lookup = new int[size];
        Arrays.fill(lookup, -1);
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                long slot = position[i];
                while (lookup[(int) slot] >= 0) {
                    slot = (slot + skip[i]) % size;
                }
                lookup[(int) slot] = i;
                position[i] = (slot + skip[i]) % size;
                if (++filled == size) {
                    return lookup;
                }
            }
        }
    }

    /** A fixed 64-bit hash of the backend's address and port: the same on every node and JVM. */
    private static long hash(ServiceBackend backend, long seed) {
        IpAddress address = backend.address();
        long h = mix(seed ^ address.high());
        h = mix(h ^ address.low());
        return mix(h ^ (((long) address.family().ordinal() << 32) | backend.port()));
    }

    /** MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    /** Number of slots M. */
    public int size() {
        return lookup.length;
    }

    /** The backends, sorted by address and port; slot values index into this list. */
    public List<ServiceBackend> backends() {
        return backends;
    }

    /** Index into {@link #backends()} of the backend at {@code slot}. */
    public int backendIndex(int slot) {
        return lookup[slot];
    }

    /** The backend at {@code slot}. */
    public ServiceBackend backendAt(int slot) {
        return backends.get(lookup[slot]);
    }

    /** A copy of the slots: {@code int[M]} of backend indices, as written to the data path's lookup table. */
    public int[] toArray() {
        return lookup.clone();
    }

    /** How many slots each backend holds, indexed like {@link #backends()}. */
    public int[] slotCounts() {
        int[] counts = new int[backends.size()];
        for (int index : lookup) {
            counts[index]++;
        }
        return counts;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MaglevTable other && backends.equals(other.backends) && Arrays.equals(lookup, other.lookup);
    }

    @Override
    public int hashCode() {
        return Objects.hash(backends, Arrays.hashCode(lookup));
    }

    @Override
    public String toString() {
        return "MaglevTable[size=" + lookup.length + ", backends=" + backends.size() + "]";
    }
}
