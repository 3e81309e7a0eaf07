package io.sluice.policy;

/**
 * Numbers the endpoints (pods running on this node) 1..65535 for the policy map key, recorded in an
 * {@link IdentityStore} under {@code endpoint:namespace/name} so a restarted agent keeps them.
 * Not thread-safe: owned by the {@link PolicyEngine}'s thread.
 */
public final class EndpointIdAllocator {

    /** Smallest endpoint id. */
    public static final int FIRST = 1;
    /** Largest endpoint id (the key field is 16 bits). */
    public static final int LAST = 0xFFFF;

    private final IdPool pool;

    public EndpointIdAllocator(IdentityStore store) {
        this.pool = new IdPool(store, "endpoint:", FIRST, LAST);
    }

    /** The endpoint id of {@code pod}, allocating one if it has none. */
    public int acquire(PodRef pod) {
        return pool.acquire(pod.toString()).id();
    }

    /** Frees the id of {@code pod}. */
    public void release(PodRef pod) {
        pool.release(pod.toString());
    }

    /** Frees restored ids of pods that did not come back; returns how many. */
    public int releaseUnreferenced() {
        return pool.releaseUnreferenced();
    }
}
