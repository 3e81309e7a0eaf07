package io.sluice.servicelb;

/**
 * Client-IP session affinity of a frontend: while {@code clientIp}, connections from one client address go to the
 * backend that client last used, until it has been idle for {@code timeoutSeconds}.
 *
 * @param clientIp       whether {@code spec.sessionAffinity} is {@code ClientIP}
 * @param timeoutSeconds {@code spec.sessionAffinityConfig.clientIP.timeoutSeconds}, 1..86400; 0 when not
 *                       {@code clientIp}
 */
public record SessionAffinity(boolean clientIp, int timeoutSeconds) {

    /** The Kubernetes default for {@code timeoutSeconds}: three hours. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 10_800;
    /** The largest {@code timeoutSeconds} the Kubernetes API accepts: one day. */
    public static final int MAX_TIMEOUT_SECONDS = 86_400;
    /** No affinity. */
    public static final SessionAffinity NONE = new SessionAffinity(false, 0);

    public SessionAffinity {
        if (clientIp && (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS)) {
            throw new IllegalArgumentException("session affinity timeout " + timeoutSeconds
                    + " is out of range 1.." + MAX_TIMEOUT_SECONDS);
        }
        if (!clientIp && timeoutSeconds != 0) {
            throw new IllegalArgumentException("a timeout needs client-IP affinity");
        }
    }

    /** Client-IP affinity with the given timeout. */
    public static SessionAffinity clientIp(int timeoutSeconds) {
        return new SessionAffinity(true, timeoutSeconds);
    }
}
