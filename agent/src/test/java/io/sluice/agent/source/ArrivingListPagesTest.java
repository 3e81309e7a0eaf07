package io.sluice.agent.source;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.ByteArrayBodyHandler;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.StandardHttpRequest;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.agent.model.ResourceKind;
import io.sluice.servicelb.PackedEndpointSlice;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * List pages parsed as their bytes arrive ({@link ArrivingListPages}): whatever chunks the body comes in, and whether a
 * chunk comes before the interceptors hear the status, fabric8 gets exactly the list (or the failure) that the agent's
 * parse of the whole body gives; any answer but 200 reaches fabric8 byte for byte.
 */
class ArrivingListPagesTest {
    private static final KubernetesSerialization FABRIC8 = new KubernetesSerialization();
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Multi-byte UTF-8 (two, three and four bytes), so that a cut falls inside a character. */
    private static final String WIDE = "ünï €uro 日本 \uD83D\uDE00";
    private static final String SERVICES = "https://10.96.0.1/api/v1/services?limit=500";
    private static final String SLICES = "https://10.96.0.1/apis/discovery.k8s.io/v1/endpointslices?limit=500&continue=x";

    private final KubernetesSerialization agent = KubernetesSource.serialization();
    private final ArrivingListPages interceptor = new ArrivingListPages(agent);
    /** How the last body reached fabric8: parsed as it arrived, or as it was (not a 200, or ended before its status). */
    private String lastPath;

    /** Generated Services or slices, with multi-byte annotations and managedFields, split anywhere: read as a whole. */
    @Property(tries = 300)
    void aPageSplitAnywhereIsReadAsTheWholePageIs(@ForAll("objects") List<HasMetadata> objects,
                                                  @ForAll @IntRange(min = 0, max = 2) int managers,
                                                  @ForAll("cuts") List<Integer> cuts,
                                                  @ForAll @IntRange(min = 0, max = 3) int chunksBeforeStatus)
            throws Exception {
        boolean services = objects.getFirst() instanceof Service;
        List<String> items = new ArrayList<>();
        for (HasMetadata object : objects) {
            ObjectNode item = (ObjectNode) JSON.readTree(FABRIC8.asJson(object));
            ObjectNode meta = (ObjectNode) item.get("metadata");
            meta.putObject("annotations").put("note", WIDE);
            var fields = meta.putArray("managedFields");
            for (int m = 0; m < managers; m++) {
                fields.addObject().put("manager", "m" + m + WIDE).put("operation", "Update")
                        .putObject("fieldsV1").putObject("f:metadata").putObject("f:labels" + m);
            }
            items.add(item.toString());
        }
        byte[] page = page(services, items);

        KubernetesResourceList<?> read = readThroughTheInterceptor(services, page, cuts, chunksBeforeStatus);

        assertThat(read).isEqualTo(readWhole(services, page));
        assertThat(read.getItems()).allSatisfy(item -> assertThat(ModelCompactor.isCompact(item)).isTrue());
        Statistics.label("path").collect(lastPath);
    }

    /**
     * Any manifest document of the binder's tests as an item (declined: fabric8's parse of the same bytes; refused:
     * the same failure), or the page cut short, split anywhere: as the agent reads the whole body.
     */
    @Property(tries = 600)
    void anyItemOrAPageCutShortIsReadOrRefusedAsTheWholeBodyIs(@ForAll("anyDocuments") String document,
                                                                @ForAll boolean services, @ForAll boolean cutShort,
                                                                @ForAll("cuts") List<Integer> cuts,
                                                                @ForAll @IntRange(min = 0, max = 3) int chunksBeforeStatus)
            throws Exception {
        String item = WatchEventSerializationListTest.jsonObjectOf(document);
        Assume.that(item != null);
        byte[] whole = page(services, List.of(usualItem(services, "a"), item, usualItem(services, "b")));
        byte[] page = cutShort ? Arrays.copyOf(whole, whole.length * 2 / 3) : whole;

        Object expected;
        try {
            expected = readWhole(services, page);
        } catch (RuntimeException refused) {
            assertThatThrownBy(() -> readThroughTheInterceptor(services, page, cuts, chunksBeforeStatus))
                    .isInstanceOf(refused.getClass()).hasMessage(refused.getMessage());
            Statistics.collect("refused");
            Statistics.label("path").collect(lastPath);
            return;
        }
        KubernetesResourceList<?> read = readThroughTheInterceptor(services, page, cuts, chunksBeforeStatus);
        Statistics.collect(read.getItems().stream().allMatch(ModelCompactor::isCompact) ? "bound" : "fabric8's parse");
        Statistics.label("path").collect(lastPath);
        assertThat(read).isEqualTo(expected);
    }

    /** A Status (RBAC's 403, a 410 Gone that makes the informer relist, a 500), or anything, goes to fabric8 as sent. */
    @Property(tries = 200)
    void anAnswerOtherThan200ReachesFabric8ByteForByte(@ForAll("codes") int code, @ForAll("bodies") String text,
                                                       @ForAll("cuts") List<Integer> cuts,
                                                       @ForAll @IntRange(min = 0, max = 3) int chunksBeforeStatus)
            throws Exception {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);

        assertThat(bodyFabric8Gets(SLICES, code, body, cuts, chunksBeforeStatus)).isEqualTo(body);
    }

    /** A large page in 8 KB chunks, as vert.x hands them over: its buffer grows; the next page reuses it. */
    @Test
    void aLargePageInSmallChunksIsReadAsAWhole() throws Exception {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            items.add(KubernetesSourceManagedFieldsTest.sliceJson(String.valueOf(i), 10, 2).replace("web-abcde", "web-" + i));
        }
        byte[] page = page(false, items);
        assertThat(page.length).isGreaterThan(1 << 20);
        List<Integer> cuts = new ArrayList<>();
        for (int at = 8192; at < page.length; at += 8192) {
            cuts.add(at);
        }

        for (int again = 0; again < 2; again++) {
            KubernetesResourceList<?> read = readThroughTheInterceptor(false, page, cuts, 0);

            assertThat(read.getItems()).hasSize(400).allSatisfy(s -> assertThat(s).isInstanceOf(PackedEndpointSlice.class));
            assertThat(read).isEqualTo(readWhole(false, page));
        }
        assertThat(interceptor.pages()).isEqualTo(2);
    }

    /** A body that fails midway fails fabric8's read with the failure, as before; its page is dropped. */
    @Test
    void aBodyThatFailsMidwayFailsTheRead() throws Exception {
        byte[] page = page(true, List.of(usualItem(true, "a"), usualItem(true, "b")));
        Handler handler = new Handler();
        HttpRequest request = new StandardHttpRequest.Builder().uri(SERVICES).build();
        AsyncBody.Consumer<List<ByteBuffer>> consumer = interceptor.consumer(handler, request);
        Body body = new Body(consumer, List.of(ByteBuffer.wrap(page, 0, 100)));
        Response response = new Response(request, 200, body);
        interceptor.after(request, response, consumer);
        handler.respond(response);
        body.deliverNext();

        IOException reset = new IOException("connection reset");
        body.done.completeExceptionally(reset);

        assertThatThrownBy(() -> handler.getResult().get(10, SECONDS)).isInstanceOf(ExecutionException.class).hasCause(reset);
        assertThat(interceptor.pages()).isEqualTo(1);
    }

    /**
     * A page whose token nobody hands back (its list's future cancelled between the body's end and the parse) is held
     * only until {@link ArrivingPage#MAX_UNCLAIMED} newer pages are unclaimed too: then it is no longer kept (nor its
     * buffer), and a late claim of it fails saying so. Such pages hold that many buffers at most.
     */
    @Test
    void pagesNobodyClaimsAreHeldOnlyUpToTheBound() throws IOException {
        List<ArrivingPage> pages = new ArrayList<>();
        for (int i = 0; i <= ArrivingPage.MAX_UNCLAIMED; i++) {
            pages.add(ArrivingPage.create());
            assertThat(ArrivingPage.unclaimed()).isLessThanOrEqualTo(ArrivingPage.MAX_UNCLAIMED);
        }
        assertThat(ArrivingPage.unclaimed()).isEqualTo(ArrivingPage.MAX_UNCLAIMED);

        byte[] oldest = pages.getFirst().token();
        assertThatThrownBy(() -> ArrivingPage.claim(new ByteArrayInputStream(oldest)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("was dropped");
        for (ArrivingPage page : pages.subList(1, pages.size())) {
            assertThat(ArrivingPage.claim(new ByteArrayInputStream(page.token()))).isSameAs(page);
            page.list(in -> null);
        }
    }

    /** Only a GET of the Services' or EndpointSlices' collection is taken, not a watch, one object or another kind. */
    @Test
    void onlyListsOfServicesAndEndpointSlicesAreTaken() {
        assertThat(kindOf("https://h/api/v1/services?limit=500")).isEqualTo(ResourceKind.SERVICE);
        assertThat(kindOf("https://h/api/v1/namespaces/shop/services")).isEqualTo(ResourceKind.SERVICE);
        assertThat(kindOf("https://h/prefix/api/v1/services")).isEqualTo(ResourceKind.SERVICE);
        assertThat(kindOf("https://h/apis/discovery.k8s.io/v1/endpointslices?resourceVersion=0"))
                .isEqualTo(ResourceKind.ENDPOINT_SLICE);
        assertThat(kindOf("https://h/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/"))
                .isEqualTo(ResourceKind.ENDPOINT_SLICE);
        assertThat(kindOf("https://h/api/v1/services?watch=true&resourceVersion=5")).isNull();
        assertThat(kindOf("https://h/api/v1/namespaces/shop/services/web")).isNull();
        assertThat(kindOf("https://h/api/v1/pods")).isNull();
        assertThat(kindOf("https://h/api/v1/endpointslices")).isNull();
        assertThat(kindOf("https://h/apis/discovery.k8s.io/v1/services")).isNull();
        assertThat(kindOf("https://h/version")).isNull();
        assertThat(ArrivingListPages.listedKind(new StandardHttpRequest.Builder().uri("https://h/api/v1/services")
                .method("DELETE", "application/json", "{}").build())).isNull();
    }

    /** Only the agent's serialization has the list parse the bytes are fed to. */
    @Test
    void anotherSerializationIsRefused() {
        assertThatThrownBy(() -> new ArrivingListPages(new KubernetesSerialization()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KubernetesSource.serialization()");
    }

    // ---- the interceptor as fabric8's client drives it ------------------------------------------------------------

    private static ResourceKind kindOf(String uri) {
        return ArrivingListPages.listedKind(new StandardHttpRequest.Builder().uri(uri).build());
    }

    private KubernetesResourceList<?> readThroughTheInterceptor(boolean services, byte[] page, List<Integer> cuts,
                                                                int chunksBeforeStatus) throws Exception {
        byte[] body = bodyFabric8Gets(services ? SERVICES : SLICES, 200, page, cuts, chunksBeforeStatus);
        return agent.unmarshal(new ByteArrayInputStream(body), listType(services));
    }

    /**
     * The body fabric8's {@code sendAsync(request, byte[].class)} completes with for an answer {@code code} of
     * {@code body} in chunks cut at {@code cuts}, the interceptor in between. fabric8 may ask for the body (in a
     * stage of the same response) before the interceptors hear the status: then {@code chunksBeforeStatus} chunks come
     * first, and, when that is all of them, the body ends before the status too.
     */
    private byte[] bodyFabric8Gets(String uri, int code, byte[] body, List<Integer> cuts, int chunksBeforeStatus)
            throws Exception {
        HttpRequest request = new StandardHttpRequest.Builder().uri(uri).build();
        Handler handler = new Handler();
        AsyncBody.Consumer<List<ByteBuffer>> consumer = interceptor.consumer(handler, request);
        assertThat(consumer).isNotSameAs(handler);
        List<ByteBuffer> chunks = chunks(body, cuts);
        Body asyncBody = new Body(consumer, chunks);
        Response response = new Response(request, code, asyncBody);
        long pagesBefore = interceptor.pages();
        if (chunksBeforeStatus > 0) {
            handler.respond(response);
            for (int c = 0; c < chunksBeforeStatus && asyncBody.deliverNext(); c++) {
                // as asked for
            }
            if (chunksBeforeStatus > chunks.size()) {
                asyncBody.done.complete(null);
            }
            interceptor.after(request, response, consumer);
        } else {
            interceptor.after(request, response, consumer);
            handler.respond(response);
        }
        while (asyncBody.deliverNext()) {
            // as asked for
        }
        asyncBody.done.complete(null);
        byte[] got;
        try {
            got = handler.getResult().get(10, SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("fabric8 got no body", e);
        }
        boolean parsedAsItArrived = interceptor.pages() > pagesBefore;
        assertThat(parsedAsItArrived).as("parsed as it arrived")
                .isEqualTo(code == 200 && chunksBeforeStatus <= chunks.size());
        lastPath = parsedAsItArrived ? "as it arrived" : "as it was";
        return got;
    }

    private static List<ByteBuffer> chunks(byte[] body, List<Integer> cuts) {
        int[] at = cuts.stream().mapToInt(c -> c % (body.length + 1)).filter(c -> c > 0 && c < body.length)
                .distinct().sorted().toArray();
        List<ByteBuffer> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : at) {
            chunks.add(ByteBuffer.wrap(Arrays.copyOfRange(body, from, cut)));
            from = cut;
        }
        chunks.add(ByteBuffer.wrap(Arrays.copyOfRange(body, from, body.length)));
        return chunks;
    }

    /** fabric8's body handler of {@code sendAsync(request, byte[].class)}, told of the response as fabric8 does. */
    private static final class Handler extends ByteArrayBodyHandler {
        void respond(HttpResponse<AsyncBody> response) {
            onResponse(response);
        }

        @Override
        public <U> U unwrap(Class<U> type) {
            return type.isInstance(this) ? type.cast(this) : null;
        }
    }

    /** A response body handing over its chunks one at a time, each only once asked for (as vert.x's fetch). */
    private static final class Body implements AsyncBody {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final AsyncBody.Consumer<List<ByteBuffer>> consumer;
        private final List<ByteBuffer> chunks;
        private int next;
        private long demand;

        Body(AsyncBody.Consumer<List<ByteBuffer>> consumer, List<ByteBuffer> chunks) {
            this.consumer = consumer;
            this.chunks = chunks;
        }

        @Override
        public synchronized void consume() {
            demand++;
            notifyAll();
        }

        /** Hands over the next chunk once asked for; false when none is left. */
        boolean deliverNext() throws Exception {
            if (next == chunks.size()) {
                return false;
            }
            synchronized (this) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (demand == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("the next chunk was never asked for (" + next + " of " + chunks.size() + ")");
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
                demand--;
            }
            consumer.consume(List.of(chunks.get(next++)), this);
            return true;
        }

        @Override
        public CompletableFuture<Void> done() {
            return done;
        }

        @Override
        public void cancel() {
            done.cancel(false);
        }
    }

    private record Response(HttpRequest request, int code, AsyncBody body) implements HttpResponse<AsyncBody> {
        @Override
        public Optional<HttpResponse<?>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public List<String> headers(String key) {
            return List.of();
        }

        @Override
        public Map<String, List<String>> headers() {
            return Map.of();
        }
    }

    // ---- pages and the whole body's read ------------------------------------------------------------------------

    private static byte[] page(boolean services, List<String> items) {
        return WatchEventSerializationListTest.page(services, items).getBytes(StandardCharsets.UTF_8);
    }

    private static String usualItem(boolean services, String name) {
        return WatchEventSerializationListTest.usualItem(services, name);
    }

    /** The agent's read of the whole body, as before this interceptor. */
    private KubernetesResourceList<?> readWhole(boolean services, byte[] page) {
        return agent.unmarshal(new ByteArrayInputStream(page), listType(services));
    }

    private static TypeReference<KubernetesResourceList<?>> listType(boolean services) {
        return WatchEventSerializationListTest.listType(services);
    }

    @Provide
    Arbitrary<List<HasMetadata>> objects() {
        return Arbitraries.oneOf(ModelArbitraries.services().map(HasMetadata.class::cast).list().ofMinSize(1).ofMaxSize(5),
                ModelArbitraries.slices().map(HasMetadata.class::cast).list().ofMinSize(1).ofMaxSize(5));
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 1_000_000).list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<Integer> codes() {
        return Arbitraries.of(201, 401, 403, 404, 410, 500, 503);
    }

    @Provide
    Arbitrary<String> bodies() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(300),
                Arbitraries.of("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Expired\","
                        + "\"code\":410,\"message\":\"too old resource version: 1 (42) " + WIDE + "\"}"));
    }

    @Provide
    Arbitrary<String> anyDocuments() {
        return new CompactServiceBinderTest().anyDocuments();
    }
}
