package io.sluice.servicelb;

import java.util.ArrayList;
import java.util.List;

/** Immutable sorted lists without a second copy when the input is already sorted. */
final class Sorting {

    private Sorting() {
    }

    /**
     * The elements of {@code list} in natural order, as an immutable list; {@code list} itself when it is already
     * an immutable sorted list (the translator hands its records such lists, and every sync builds them).
     *
     * @throws NullPointerException if an element is null
     */
    static <T extends Comparable<? super T>> List<T> sortedCopy(List<T> list) {
        List<T> copy = List.copyOf(list);
        for (int i = 1; i < copy.size(); i++) {
            if (copy.get(i - 1).compareTo(copy.get(i)) > 0) {
                List<T> sorted = new ArrayList<>(copy);
                sorted.sort(null);
                return List.copyOf(sorted);
            }
        }
        return copy;
    }
}
