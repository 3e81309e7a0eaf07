package io.sluice.servicelb;

import java.util.List;
import java.util.Objects;

/**
 * A frontend with its backends: one entry of the data path's services map plus its slots.
 *
 * <p>Backends are sorted (see {@link ServiceBackend}), so slot {@code i} of the services map is
 * {@code backends().get(i)} and equal inputs give equal lists on every sync. With no backends the verdict is
 * {@link FrontendVerdict#REJECT} or {@link FrontendVerdict#DROP}, and the frontend still exists so that the data
 * path answers for the address instead of letting packets wander.
 *
 * @param frontend the frontend
 * @param backends the backends the frontend balances to, sorted, without duplicates
 * @param verdict  {@link FrontendVerdict#FORWARD} exactly when there are backends
 * @param maglev   the lookup table over {@code backends}, present exactly when the algorithm is
 *                 {@link LbAlgorithm#MAGLEV} and there are backends; otherwise null
 */
public record DesiredFrontend(
        ServiceFrontend frontend,
        List<ServiceBackend> backends,
        FrontendVerdict verdict,
        MaglevTable maglev) implements Comparable<DesiredFrontend> {

    public DesiredFrontend {
        Objects.requireNonNull(frontend, "frontend");
        Objects.requireNonNull(verdict, "verdict");
        backends = Sorting.sortedCopy(backends);
        for (int i = 0; i < backends.size(); i++) {
            ServiceBackend backend = backends.get(i);
            if (backend.family() != frontend.family() || backend.protocol() != frontend.address().protocol()) {
                throw new IllegalArgumentException(frontend.address() + ": backend " + backend
                        + " is of another family or protocol");
            }
            if (i > 0 && backend.sameEndpoint(backends.get(i - 1))) {
                throw new IllegalArgumentException(frontend.address() + ": backend " + backend + " appears twice");
            }
        }
        if ((verdict == FrontendVerdict.FORWARD) == backends.isEmpty()) {
            throw new IllegalArgumentException(frontend.address() + ": verdict " + verdict + " with "
                    + backends.size() + " backends");
        }
        boolean wantsTable = frontend.algorithm() == LbAlgorithm.MAGLEV && !backends.isEmpty();
        if (wantsTable != (maglev != null)) {
            throw new IllegalArgumentException(frontend.address() + ": a Maglev table is needed exactly for a "
                    + "Maglev frontend with backends");
        }
        if (maglev != null && !maglev.backends().equals(backends)) {
            throw new IllegalArgumentException(frontend.address() + ": the Maglev table is over other backends");
        }
    }

    /** The frontend's key in the data path. */
    public FrontendAddress address() {
        return frontend.address();
    }

    @Override
    public int compareTo(DesiredFrontend other) {
        return frontend.compareTo(other.frontend);
    }
}
