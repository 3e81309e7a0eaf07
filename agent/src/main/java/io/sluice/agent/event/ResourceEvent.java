package io.sluice.agent.event;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sluice.agent.model.ResourceKind;

/**
 * One change seen by a source: the latest version of an object, or its deletion. Immutable; made on the source's
 * thread, consumed on the writer's.
 *
 * @param kind          the object's kind
 * @param deleted       true when the object is gone ({@code object} is then its last known state)
 * @param object        the object as the source saw it
 * @param receivedNanos {@link System#nanoTime()} when the source received it: the start of its latency
 */
public record ResourceEvent(ResourceKind kind, boolean deleted, HasMetadata object, long receivedNanos) {
}
