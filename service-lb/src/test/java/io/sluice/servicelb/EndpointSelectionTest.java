package io.sluice.servicelb;

import io.sluice.servicelb.EndpointSelection.Candidate;
import io.sluice.servicelb.EndpointSelection.Selection;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** kube-proxy's rules for which endpoints a frontend uses (CategorizeEndpoints, without topology). */
class EndpointSelectionTest {

    private static Candidate candidate(String ip, boolean local, boolean ready, boolean serving, boolean terminating) {
        return new Candidate(new ServiceBackend(IpAddress.parse(ip), 8080, L4Protocol.TCP, local ? "me" : "other",
                "", local, terminating), ready, serving);
    }

    private static final Candidate LOCAL_READY = candidate("10.0.0.1", true, true, true, false);
    private static final Candidate REMOTE_READY = candidate("10.0.0.2", false, true, true, false);
    private static final Candidate LOCAL_NOT_READY = candidate("10.0.0.3", true, false, false, false);
    private static final Candidate REMOTE_SERVING_TERMINATING = candidate("10.0.0.4", false, false, true, true);
    private static final Candidate LOCAL_SERVING_TERMINATING = candidate("10.0.0.5", true, false, true, true);
    private static final Candidate REMOTE_TERMINATING_NOT_SERVING = candidate("10.0.0.6", false, false, false, true);

    private static List<String> addresses(Selection selection) {
        return selection.backends().stream().map(b -> b.address().toString()).toList();
    }

    @Test
    void clusterPolicyUsesReadyEndpointsOnly() {
        Selection s = EndpointSelection.select(List.of(REMOTE_SERVING_TERMINATING, LOCAL_NOT_READY, REMOTE_READY,
                LOCAL_READY), false);

        assertThat(addresses(s)).containsExactly("10.0.0.1", "10.0.0.2");
        assertThat(s.verdict()).isEqualTo(FrontendVerdict.FORWARD);
    }

    @Test
    void clusterPolicyFallsBackToServingTerminatingWhenNothingIsReady() {
        Selection s = EndpointSelection.select(List.of(REMOTE_SERVING_TERMINATING, LOCAL_NOT_READY,
                REMOTE_TERMINATING_NOT_SERVING, LOCAL_SERVING_TERMINATING), false);

        assertThat(addresses(s)).containsExactly("10.0.0.4", "10.0.0.5");
        assertThat(s.backends()).allMatch(ServiceBackend::terminating);
    }

    @Test
    void nothingUsableAnywhereRejects() {
        Selection s = EndpointSelection.select(List.of(LOCAL_NOT_READY, REMOTE_TERMINATING_NOT_SERVING), false);

        assertThat(s.backends()).isEmpty();
        assertThat(s.verdict()).isEqualTo(FrontendVerdict.REJECT);
        assertThat(EndpointSelection.select(List.of(), true).verdict()).isEqualTo(FrontendVerdict.REJECT);
    }

    @Test
    void localPolicyUsesLocalReadyEndpoints() {
        Selection s = EndpointSelection.select(List.of(LOCAL_READY, REMOTE_READY, LOCAL_SERVING_TERMINATING), true);

        assertThat(addresses(s)).containsExactly("10.0.0.1");
    }

    @Test
    void localPolicyFallsBackToLocalServingTerminatingEvenWhenOtherNodesHaveReadyOnes() {
        Selection s = EndpointSelection.select(List.of(REMOTE_READY, LOCAL_SERVING_TERMINATING), true);

        assertThat(addresses(s)).containsExactly("10.0.0.5");
    }

    @Test
    void localPolicyWithEndpointsOnlyElsewhereDrops() {
        Selection s = EndpointSelection.select(List.of(REMOTE_READY, LOCAL_NOT_READY), true);

        assertThat(s.backends()).isEmpty();
        assertThat(s.verdict()).isEqualTo(FrontendVerdict.DROP);
    }
}
