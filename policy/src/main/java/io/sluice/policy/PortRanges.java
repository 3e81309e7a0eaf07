package io.sluice.policy;

import java.util.ArrayList;
import java.util.List;

/** Turns inclusive port ranges into the prefix blocks an LPM policy map can hold. */
public final class PortRanges {

    /** Largest number of blocks {@link #split} returns for any range: two per bit level, minus the ends. */
    public static final int MAX_BLOCKS = 2 * 16 - 2;

    private PortRanges() {
    }

    /**
     * Splits {@code [first, last]} into the fewest disjoint aligned blocks whose union is the range.
     * Greedy from the low end: at each step take the largest block that starts at the current port
     * (alignment) and does not pass {@code last}. That choice is the unique minimal cover, because every
     * block it takes is maximal (its parent block would start before the range or pass its end), and a
     * range has at most two maximal blocks per size, which bounds the count by {@link #MAX_BLOCKS}.
     *
     * @throws IllegalArgumentException if the bounds are not ports or {@code last < first}
     */
    public static List<PortBlock> split(int first, int last) {
        if (first < 0 || last > 0xFFFF || last < first) {
            throw new IllegalArgumentException("port range [" + first + ", " + last + "] is not within 0..65535 in order");
        }
        List<PortBlock> blocks = new ArrayList<>();
        int start = first;
        while (true) {
            int hostBits = start == 0 ? 16 : Integer.numberOfTrailingZeros(start);
            while (hostBits > 0 && start + (1 << hostBits) - 1 > last) {
                hostBits--;
            }
            blocks.add(new PortBlock(start, 16 - hostBits));
            int next = start + (1 << hostBits);
            if (next > last) {
                return blocks;
            }
            start = next;
        }
    }
}
