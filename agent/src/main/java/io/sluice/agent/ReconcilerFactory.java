package io.sluice.agent;

import io.sluice.agent.config.AgentConfig;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.writer.Reconciler;
import java.util.List;

/**
 * Makes the reconcilers that turn the store into map writes (services, policy), once the configuration is known.
 * Reconcilers that are {@link AutoCloseable} are closed when the agent stops.
 */
@FunctionalInterface
public interface ReconcilerFactory {

    /** No reconcilers: the agent follows its sources without writing maps. */
    ReconcilerFactory NONE = (config, metrics) -> List.of();

    List<Reconciler> create(AgentConfig config, AgentMetrics metrics);
}
