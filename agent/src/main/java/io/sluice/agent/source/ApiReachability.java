package io.sluice.agent.source;

import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hears every failed connection of a fabric8 client: an HTTP interceptor that counts connection failures and keeps
 * the latest one. {@link KubernetesSource} reads it to notice an API outage at once.
 *
 * <p>Why: an informer whose watch breaks reconnects inside fabric8, and meanwhile still reports itself as watching,
 * so the informer alone cannot tell a healthy watch from an API that went away. The interceptor costs nothing while
 * the API answers (no extra request); a failure makes the source probe the API to tell a blip from an outage.
 *
 * <p>Threads: written from fabric8's I/O threads, read from any thread.
 */
public final class ApiReachability implements Interceptor {
    /** The interceptor's name on the client. */
    static final String NAME = "sluice-api-reachability";

    private final AtomicLong failures = new AtomicLong();
    private volatile String lastFailure;

    /** Adds this interceptor to {@code http}; returns it (the client builder takes one such consumer). */
    public HttpClient.Builder addTo(HttpClient.Builder http) {
        return http.addOrReplaceInterceptor(NAME, this);
    }

    @Override
    public void afterConnectionFailure(HttpRequest request, Throwable failure) {
        lastFailure = describe(failure);
        failures.incrementAndGet();
    }

    /** How many connection failures were seen so far. */
    public long failures() {
        return failures.get();
    }

    /** The latest connection failure, or null before the first. */
    public String lastFailure() {
        return lastFailure;
    }

    /** The innermost cause, which names what failed (connection refused, no route, timeout). */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
