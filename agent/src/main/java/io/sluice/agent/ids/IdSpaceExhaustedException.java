package io.sluice.agent.ids;

import java.nio.file.Path;

/** Every id of an allocator is taken; the message names the allocator's file, the key refused and the limit. */
public final class IdSpaceExhaustedException extends IllegalStateException {

    public IdSpaceExhaustedException(Path file, String key, int maxId) {
        super(file + ": no free id for " + key + ": all " + maxId + " ids are taken");
    }
}
