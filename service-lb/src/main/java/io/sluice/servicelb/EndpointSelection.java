package io.sluice.servicelb;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * kube-proxy's choice of usable endpoints (its {@code CategorizeEndpoints}, without topology hints), for one
 * Service port, one family and one traffic policy.
 *
 * <ul>
 *   <li>{@code Cluster}: the ready endpoints; if there are none, the serving and terminating ones.</li>
 *   <li>{@code Local}: the ready endpoints on this node; if there are none, the serving and terminating ones on
 *       this node, even when other nodes have ready ones.</li>
 *   <li>Nothing usable: {@link FrontendVerdict#REJECT} if the Service has no usable endpoint anywhere,
 *       {@link FrontendVerdict#DROP} if it has some but the policy allows none of them here.</li>
 * </ul>
 */
final class EndpointSelection {

    /**
     * One deduplicated endpoint of the Service port with its conditions.
     *
     * @param backend the endpoint as a backend (address, resolved port, node, locality, terminating)
     * @param ready   the endpoint's {@code ready} condition
     * @param serving the endpoint's {@code serving} condition
     */
    record Candidate(ServiceBackend backend, boolean ready, boolean serving) {

        boolean servingTerminating() {
            return serving && backend.terminating();
        }

        boolean usable() {
            return ready || servingTerminating();
        }
    }

    /** The chosen backends and what to do with a connection. */
    record Selection(List<ServiceBackend> backends, FrontendVerdict verdict) {
    }

    private EndpointSelection() {
    }

    static Selection select(Collection<Candidate> candidates, boolean localOnly) {
        List<ServiceBackend> chosen = pick(candidates, localOnly, false);
        if (chosen.isEmpty()) {
            chosen = pick(candidates, localOnly, true);
        }
        if (!chosen.isEmpty()) {
            return new Selection(chosen, FrontendVerdict.FORWARD);
        }
        boolean usableAnywhere = false;
        for (Candidate candidate : candidates) {
            usableAnywhere |= candidate.usable();
        }
        return new Selection(List.of(), usableAnywhere ? FrontendVerdict.DROP : FrontendVerdict.REJECT);
    }

    /**
     * The ready candidates in scope, or with {@code servingTerminating} the serving and terminating ones, as a
     * sorted immutable list. Plain loops rather than a stream: this runs for every Service port of every sync, and
     * the launcher's C1-only flags leave a stream pipeline's lambdas as calls.
     */
    private static List<ServiceBackend> pick(Collection<Candidate> candidates, boolean localOnly,
                                             boolean servingTerminating) {
        List<ServiceBackend> chosen = new ArrayList<>(candidates.size());
        for (Candidate candidate : candidates) {
            if ((!localOnly || candidate.backend().local())
                    && (servingTerminating ? candidate.servingTerminating() : candidate.ready())) {
                chosen.add(candidate.backend());
            }
        }
        chosen.sort(null);
        return List.copyOf(chosen);
    }
}
