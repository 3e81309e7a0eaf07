package io.sluice.agent.writer;

/**
 * The writer's readiness as last published: ready once every source is synced into the store and a flush after
 * that succeeded, and as long as the latest flush succeeded. Immutable, so any thread may read it.
 *
 * @param ready  whether the maps reflect the sources' complete state
 * @param reason why not, for /readyz; empty when ready
 */
public record WriterStatus(boolean ready, String reason) {
    public static final WriterStatus READY = new WriterStatus(true, "");
}
