package io.sluice.agent.source;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.ByteArrayBodyHandler;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.http.StandardHttpRequest;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * Keeps each list page of Services or EndpointSlices, as its bytes arrive, in a buffer reused from page to page,
 * instead of fabric8 holding its chunks and joining them into a new array per page ({@link ArrivingPage} says why):
 * an HTTP interceptor of fabric8's client that takes the body of such a list request (a GET of the collection, not a
 * watch, whose body fabric8 reads whole to parse it as a list) as the client hands it over. fabric8 keeps a token
 * instead of the bytes and asks the agent's serialization for the list as always; that parses the page from the
 * buffer ({@link WatchEventSerialization}), whatever type it asks for (a typed or a generic list).
 *
 * <p>Not taken: a GET that carries a request content type, which is how fabric8's {@code raw()} asks (its list
 * requests carry none): {@code raw()} turns the body's bytes into its String without the serialization, so it would
 * get the token instead of the page.
 *
 * <p>Only a 200 answer is taken: any other (a {@code Status}, a 410 Gone that makes the informer relist) reaches
 * fabric8 byte for byte, and so does any other request. fabric8's informers, its retries and its vert.x client are
 * unchanged: they read the API, this only reads the bytes they hand over. A page the compact binder declines is read by
 * fabric8's parse of the same bytes, and a parse failure is thrown where fabric8's parse threw it.
 *
 * <p>Threads: fabric8 calls it on the client's event loop (and {@link #consumer} on the requesting thread).
 */
public final class ArrivingListPages implements Interceptor {
    /** The interceptor's name on the client. */
    static final String NAME = "sluice-arriving-list-pages";
    /**
     * A collection of Services (core group) or EndpointSlices (discovery group), cluster-wide or of one namespace,
     * after the API server URL's own path if it has one.
     */
    private static final Pattern LIST_PATH = Pattern.compile("(?:/.*)?/(?:api/v1(?:/namespaces/[^/]+)?/(services)"
            + "|apis/discovery\\.k8s\\.io/v1(?:/namespaces/[^/]+)?/(endpointslices))/?");
    private static final Pattern WATCH = Pattern.compile("(?:^|&)watch=(?:true|1)(?:&|$)");

    private final KubernetesSerialization serialization;
    private final LongAdder pages = new LongAdder();

    /**
     * Keeps list pages for {@code serialization}, the one the client is built with, which must be the agent's
     * ({@link KubernetesSource#serialization()}): only that one reads a page's token.
     */
    public ArrivingListPages(KubernetesSerialization serialization) {
        if (!(serialization instanceof WatchEventSerialization)) {
            throw new IllegalArgumentException("list pages kept as they arrive are parsed only by the agent's "
                    + "serialization (KubernetesSource.serialization()), not " + serialization.getClass().getName());
        }
        this.serialization = serialization;
    }

    /** The serialization these pages are kept for, which the client must be built with. */
    KubernetesSerialization serialization() {
        return serialization;
    }

    /** Adds this interceptor to {@code http}; returns it (the client builder takes one such consumer). */
    public HttpClient.Builder addTo(HttpClient.Builder http) {
        return http.addOrReplaceInterceptor(NAME, this);
    }

    /** How many list pages (200 answers) were kept as they arrived. */
    public long pages() {
        return pages.sum();
    }

    @Override
    public AsyncBody.Consumer<List<ByteBuffer>> consumer(AsyncBody.Consumer<List<ByteBuffer>> consumer,
                                                         HttpRequest request) {
        ResourceKind kind = listedKind(request);
        boolean readWhole = consumer.unwrap(ByteArrayBodyHandler.class) != null; // sendAsync(request, byte[].class)
        return kind != null && readWhole ? new PageConsumer(consumer, kind) : consumer;
    }

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        PageConsumer pages = consumer.unwrap(PageConsumer.class);
        if (pages != null && response.body() instanceof AsyncBody body) {
            pages.answered(body, response.code());
        }
    }

    /**
     * Services or EndpointSlices when {@code request} lists them (a GET of the collection, not a watch, not
     * {@code raw()}'s), else null.
     */
    static ResourceKind listedKind(HttpRequest request) {
        if (!"GET".equals(request.method())
                || (request instanceof StandardHttpRequest standard && standard.getContentType() != null)) {
            return null;
        }
        URI uri = request.uri();
        var path = LIST_PATH.matcher(uri.getRawPath() == null ? "" : uri.getRawPath());
        if (!path.matches() || (uri.getRawQuery() != null && WATCH.matcher(uri.getRawQuery()).find())) {
            return null;
        }
        return path.group(1) != null ? ResourceKind.SERVICE : ResourceKind.ENDPOINT_SLICE;
    }

    /**
     * The body of one list request (of each of its answers, when fabric8 asks again after a 401). Until the
     * interceptors hear its status (fabric8 may ask for the body first, in another stage of the same response) its
     * chunks go on to fabric8 as they are, and a page keeps a copy; once a 200 is heard the rest goes to an
     * {@link ArrivingPage} and fabric8 gets the page's token after what it already has. Any other status, or a body
     * that ended before its status: handed on.
     */
    private final class PageConsumer implements AsyncBody.Consumer<List<ByteBuffer>> {
        private final AsyncBody.Consumer<List<ByteBuffer>> downstream;
        private final ResourceKind kind;
        /** The body whose status is known, and its page (null: handed on). */
        private AsyncBody answered;
        private ArrivingPage page;
        /** Chunks of a body that came before its status (fabric8 has them too). */
        private final List<ByteBuffer> early = new ArrayList<>();
        private AsyncBody earlyBody;

        PageConsumer(AsyncBody.Consumer<List<ByteBuffer>> downstream, ResourceKind kind) {
            this.downstream = downstream;
            this.kind = kind;
        }

        @Override
        public synchronized void consume(List<ByteBuffer> chunks, AsyncBody body) throws Exception {
            if (body == answered && page != null) {
                for (ByteBuffer chunk : chunks) {
                    page.append(chunk, body);
                }
                return;
            }
            if (body != answered) {
                if (body != earlyBody) {
                    early.clear();
                    earlyBody = body;
                }
                early.addAll(chunks);
            }
            downstream.consume(chunks, body);
        }

        synchronized void answered(AsyncBody body, int code) {
            answered = body;
            page = null;
            List<ByteBuffer> before = body == earlyBody ? List.copyOf(early) : List.of();
            early.clear();
            earlyBody = null;
            if (code != 200 || body.done().isDone()) {
                return; // fabric8 has, or gets, the bytes as they are
            }
            pages.increment();
            ArrivingPage arriving = ArrivingPage.create();
            body.done().whenComplete((ignored, failure) -> {
                if (failure != null) {
                    arriving.fail();
                }
            });
            for (ByteBuffer chunk : before) {
                arriving.append(chunk, null);
            }
            page = arriving;
            try {
                downstream.consume(List.of(ByteBuffer.wrap(arriving.token())), body);
            } catch (Exception e) {
                throw new IllegalStateException("handing fabric8 a list page's token", e);
            }
        }

        @Override
        public <U> U unwrap(Class<U> type) {
            return type == PageConsumer.class ? type.cast(this) : downstream.unwrap(type);
        }
    }
}
