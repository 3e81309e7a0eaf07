package io.sluice.servicelb;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The output of a translation: what to program, and what was refused.
 *
 * @param services  the desired state per Service, sorted by key; Services that produce nothing (headless,
 *                  ExternalName, fully refused) are absent
 * @param refusals  every refused part, in input order
 */
public record TranslationResult(Map<ServiceKey, DesiredService> services, List<Refusal> refusals) {

    public TranslationResult {
        services = Collections.unmodifiableMap(new TreeMap<>(services));
        refusals = List.copyOf(refusals);
    }

    /** Refusal counts by reason, for a metric. */
    public Map<RefusalReason, Long> refusalCounts() {
        Map<RefusalReason, Long> counts = new EnumMap<>(RefusalReason.class);
        for (Refusal refusal : refusals) {
            counts.merge(refusal.reason(), 1L, Long::sum);
        }
        return Collections.unmodifiableMap(counts);
    }
}
