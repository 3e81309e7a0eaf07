package io.sluice.agentapi;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.loader.NetworkNamespace;
import io.sluice.testnet.Netns;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The list and watch part of a Kubernetes API server, small enough not to be what a benchmark measures: objects
 * are serialized once, when they are put, and a list is those bytes joined; a watch is a chunked HTTP stream of
 * {@code {"type":...,"object":...}} lines that {@link #put} and {@link #delete} write to as they happen.
 *
 * <p>Why not fabric8's CRUD mock server: it keeps its objects as JSON and matches every request against all of them,
 * so it slows down as it fills: here it held 2,053 Services and their slices after 60 s and took 11 slice updates/s,
 * against the 20,000 objects and 1,000 updates/s needed ({@code AgentApiScaleBenchmark#theMockApiServerAtThisScale}).
 *
 * <p>What it serves: {@code GET} of a collection path (e.g. {@code /api/v1/services}), all of it or in pages
 * ({@code limit} and {@code continue}); the same with {@code watch=true}, from now on (a watch asking for an older
 * resourceVersion gets no replay: callers change nothing between an agent's list and its watch), which
 * {@link #expireWatches} ends with 410 Gone as after a compaction; {@code /version}.
 * A WebSocket upgrade (fabric8's first try at a watch) is answered 200 and nothing, which makes fabric8 watch over plain HTTP.
 * Everything else is a 404 Status. Objects have one resourceVersion counter, as an API server has.
 *
 * <p>It binds on 127.0.0.1 of a node's network namespace (a socket belongs to the namespace of the thread that
 * creates it; accepted connections to the listening one's), and runs on threads of its own, whose CPU time
 * {@link #cpuNanos()} sums.
 */
public final class ListWatchApiServer implements AutoCloseable {
    /** One collection: its objects' JSON by namespace/name, in the order put, and the watches open on it. */
    private static final class Collection {
        final String listKind;
        final String apiVersion;
        final LinkedHashMap<String, byte[]> objects = new LinkedHashMap<>();
        final List<Watch> watches = new CopyOnWriteArrayList<>();

        Collection(String listKind, String apiVersion) {
            this.listKind = listKind;
            this.apiVersion = apiVersion;
        }
    }

    /** An open watch: the chunked response its events go to, and what ends it before the server closes. */
    private record Watch(OutputStream out, CountDownLatch ended) {
    }

    private final KubernetesSerialization serialization = new KubernetesSerialization();
    /** An object serialized with its resourceVersion, for {@link #publish}. */
    public record Change(String path, String key, long resourceVersion, byte[] json) {
    }

    static {
        // Each watch event is a few small writes and a flush. With Nagle's algorithm (the JDK server's default) a write
        // waits for the ACK of the one before, which the client delays, so events reached the agent 20-50 ms late
        // (p50 ~23 ms measured outside the agent); Kubernetes' API server (Go) sets TCP_NODELAY on its connections.
        // The JDK reads this once, when its first HttpServer in the JVM starts.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final ExecutorService threads;
    private final List<Thread> started = new CopyOnWriteArrayList<>();
    private final Map<String, Collection> collections = new HashMap<>();
    private volatile CountDownLatch laterPages = new CountDownLatch(0);
    private final List<String> requests = new CopyOnWriteArrayList<>();
    /** The last resourceVersion given out, and the last one published (what a list is at). */
    private long resourceVersion = 1;
    private long publishedVersion = 1;

    private ListWatchApiServer(HttpServer server) {
        this.server = server;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = Thread.ofPlatform().daemon().name("list-watch-api").unstarted(r);
            started.add(t);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", this::handle);
    }

    /** A server on 127.0.0.1:{@code port} of {@code node}, with no collections yet. */
    public static ListWatchApiServer start(Netns node, int port) throws IOException {
        try (NetworkNamespace ns = NetworkNamespace.named(node.name())) {
            return start(ns.call(() -> HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024)));
        }
    }

    /** A server on 127.0.0.1 of the caller's network namespace, on a free port, with no collections yet. */
    public static ListWatchApiServer start() throws IOException {
        return start(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024));
    }

    private static ListWatchApiServer start(HttpServer server) {
        ListWatchApiServer api = new ListWatchApiServer(server);
        server.start();
        return api;
    }

    /**
     * Serves {@code path} (e.g. {@code /apis/discovery.k8s.io/v1/endpointslices}) as a collection of
     * {@code listKind} objects (e.g. {@code EndpointSliceList}), empty until objects are put.
     */
    public synchronized ListWatchApiServer collection(String path, String listKind, String apiVersion) {
        collections.put(path, new Collection(listKind, apiVersion));
        return this;
    }

    /**
     * Adds or replaces {@code object} in the collection at {@code path} with the next resourceVersion, and sends it
     * to that collection's open watches (ADDED or MODIFIED).
     */
    public synchronized void put(String path, HasMetadata object) {
        publish(prepare(path, object));
    }

    /**
     * {@code object} with the next resourceVersion, serialized for {@link #publish} later: a benchmark prepares its
     * changes ahead, so that publishing one costs the server no serialization. Publish them in the order prepared.
     */
    public synchronized Change prepare(String path, HasMetadata object) {
        collection(path);
        long version = ++resourceVersion;
        object.getMetadata().setResourceVersion(Long.toString(version));
        return new Change(path, key(object), version, serialization.asJson(object).getBytes(StandardCharsets.UTF_8));
    }

    /** Stores a prepared change and sends it to the open watches of its collection (ADDED or MODIFIED). */
    public synchronized void publish(Change change) {
        Collection c = collection(change.path());
        byte[] previous = c.objects.put(change.key(), change.json());
        publishedVersion = change.resourceVersion();
        send(c, previous == null ? "ADDED" : "MODIFIED", change.json());
    }

    /** How many watches are open on the collection at {@code path}: a change put before one opens is not replayed. */
    public synchronized int openWatches(String path) {
        return collection(path).watches.size();
    }

    /**
     * Ends every watch open on the collection at {@code path} as an API server does when the history a watch is at
     * was compacted away: an ERROR event whose Status is 410 Gone ("too old resource version"), then the end of the
     * response. A client must list again; watching again from its resourceVersion would miss what changed.
     */
    public synchronized void expireWatches(String path) {
        Collection c = collection(path);
        byte[] gone = ("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                + "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (" + publishedVersion + ")\","
                + "\"reason\":\"Expired\",\"code\":410}}\n").getBytes(StandardCharsets.US_ASCII);
        for (Watch watch : c.watches) {
            c.watches.remove(watch);
            try {
                watch.out().write(gone);
                watch.out().flush();
            } catch (IOException e) {
                // the client went away already
            }
            watch.ended().countDown();
        }
    }

    /** Removes {@code object} from the collection at {@code path} and sends DELETED to its watches. */
    public synchronized void delete(String path, HasMetadata object) {
        Collection c = collection(path);
        byte[] json = c.objects.remove(key(object));
        if (json != null) {
            publishedVersion = ++resourceVersion;
            send(c, "DELETED", json);
        }
    }

    /** A client configuration for this server as {@link #start()} opens it, on loopback, that does not retry. */
    public Config loopbackClientConfig() {
        return new ConfigBuilder().withMasterUrl("http://127.0.0.1:" + port()).withRequestRetryBackoffLimit(0).build();
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Writes a kubeconfig for a client of the API at http://127.0.0.1:{@code port} into {@code dir}. */
    public static Path kubeconfig(Path dir, int port) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: http://127.0.0.1:%d
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: agent
                    namespace: default
                current-context: mock
                users:
                - name: agent
                  user:
                    token: not-checked-by-the-mock
                """.formatted(port));
        return file;
    }

    /** Makes list requests for a page after the first wait until {@link #releaseLaterPages()} (tests of paging). */
    public void holdLaterPages() {
        laterPages = new CountDownLatch(1);
    }

    /** Lets held and later list requests for pages after the first go on. */
    public void releaseLaterPages() {
        laterPages.countDown();
    }

    /** The requests served so far (method, path and query), in order: what a client asked for. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** CPU time of the server's threads so far (those alive now and those that ended are not told apart). */
    public long cpuNanos() {
        long sum = 0;
        for (Thread t : started) {
            long n = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(t.threadId());
            sum += Math.max(0, n);
        }
        return sum;
    }

    private Collection collection(String path) {
        Collection c = collections.get(path);
        if (c == null) {
            throw new IllegalArgumentException("no collection at " + path);
        }
        return c;
    }

    private static String key(HasMetadata object) {
        return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }

    /** Writes one watch event to every open watch of {@code c}; a watch that fails to take it is dropped. */
    private static void send(Collection c, String type, byte[] object) {
        if (c.watches.isEmpty()) {
            return;
        }
        byte[] head = ("{\"type\":\"" + type + "\",\"object\":").getBytes(StandardCharsets.US_ASCII);
        for (Watch watch : c.watches) {
            try {
                watch.out().write(head);
                watch.out().write(object);
                watch.out().write('}');
                watch.out().write('\n');
                watch.out().flush();
            } catch (IOException e) {
                c.watches.remove(watch);
            }
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        URI uri = exchange.getRequestURI();
        requests.add(exchange.getRequestMethod() + " " + uri + (exchange.getRequestHeaders().containsKey("Upgrade") ? " (WebSocket upgrade)" : ""));
        Map<String, String> query = query(uri.getRawQuery());
        try {
            if (uri.getPath().equals("/version")) {
                reply(exchange, 200, "{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":\"v1.33.0\"}".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            Collection c;
            synchronized (this) {
                c = exchange.getRequestMethod().equals("GET") ? collections.get(uri.getPath()) : null;
            }
            if (c == null) {
                reply(exchange, 404, ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\","
                        + "\"code\":404,\"message\":\"not served by this test server: " + uri.getPath() + "\"}")
                        .getBytes(StandardCharsets.UTF_8));
            } else if (exchange.getRequestHeaders().containsKey("Upgrade")) {
                // No WebSocket here: fabric8 takes a 200 to its upgrade as the cue to watch over plain HTTP (a 503
                // would be retried first, ten times with backoff).
                reply(exchange, 200, new byte[0]);
            } else if ("true".equals(query.get("watch"))) {
                watch(exchange, c);
            } else {
                if (query.containsKey("continue")) {
                    awaitQuietly(laterPages);
                }
                reply(exchange, 200, list(c, query));
            }
        } finally {
            exchange.close();
        }
    }

    /** The collection, or the page of it that {@code limit} and {@code continue} (an offset here) ask for. */
    private synchronized byte[] list(Collection c, Map<String, String> query) {
        int from = query.containsKey("continue") ? Integer.parseInt(query.get("continue")) : 0;
        int limit = query.containsKey("limit") ? Integer.parseInt(query.get("limit")) : Integer.MAX_VALUE;
        List<byte[]> page = new ArrayList<>(c.objects.values());
        int to = (int) Math.min(page.size(), (long) from + limit);
        StringBuilder head = new StringBuilder("{\"kind\":\"").append(c.listKind).append("\",\"apiVersion\":\"")
                .append(c.apiVersion).append("\",\"metadata\":{\"resourceVersion\":\"").append(publishedVersion).append('"');
        if (to < page.size()) {
            head.append(",\"continue\":\"").append(to).append('"');
        }
        head.append("},\"items\":[");
        int size = head.length() + 2;
        for (int i = from; i < to; i++) {
            size += page.get(i).length + 1;
        }
        byte[] body = new byte[size];
        byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
        System.arraycopy(h, 0, body, 0, h.length);
        int at = h.length;
        for (int i = from; i < to; i++) {
            if (i > from) {
                body[at++] = ',';
            }
            byte[] item = page.get(i);
            System.arraycopy(item, 0, body, at, item.length);
            at += item.length;
        }
        body[at++] = ']';
        body[at++] = '}';
        return java.util.Arrays.copyOf(body, at);
    }

    /** Holds the exchange's thread until the server closes or the watch expires; events arrive through {@link #send}. */
    private void watch(HttpExchange exchange, Collection c) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0); // chunked
        OutputStream out = exchange.getResponseBody();
        out.flush();
        Watch watch = new Watch(out, new CountDownLatch(1));
        c.watches.add(watch);
        try {
            watch.ended().await(); // counted down by expireWatches or close
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            c.watches.remove(watch);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                query.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            collections.values().forEach(c -> c.watches.forEach(w -> w.ended().countDown()));
        }
        server.stop(0);
        threads.shutdownNow();
        threads.awaitTermination(5, TimeUnit.SECONDS);
    }
}
