package io.sluice.agent;

import io.sluice.agent.model.ResourceKind;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The list and watch part of a Kubernetes API server on loopback, for {@code sluice aot-train --source api}: it serves
 * the training objects ({@link TrainingManifests}' documents) as an API server sends them, JSON with a resourceVersion
 * and a {@code managedFields} entry, in pages ({@code limit} and {@code continue}), and watch streams that
 * {@link #put} writes to, so that the training agent runs a node's API path: fabric8's client on Vert.x, the
 * informers' lists and watches, the JSON binds, the compaction and the writer.
 *
 * <p>Plain HTTP: an image build has no cluster and no certificates, so TLS is the part of a node's API path this does
 * not train. fabric8's first try at a watch is a WebSocket upgrade, which a real API server accepts; a 200 to it makes
 * fabric8 watch over plain HTTP instead. A watch asking for an older resourceVersion gets no replay (nothing changes
 * between the training agent's lists and its watches until {@link #awaitWatches} saw every watch open).
 */
final class TrainingApiServer implements AutoCloseable {
    /** One collection, e.g. {@code /api/v1/services}: its objects' JSON by namespace/name, and its open watches. */
    private record Collection(String listKind, String apiVersion, Map<String, byte[]> objects, List<OutputStream> watches) {
    }

    /** What the agent reads its configuration file with: the training adds no YAML reader of its own to the cache. */
    private static final YAMLMapper YAML = new YAMLMapper();
    private final ServerSocket socket = new ServerSocket();
    private final Map<String, Collection> collections = new HashMap<>();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private long resourceVersion = 1;
    private int objects;
    private volatile boolean closed;

    private TrainingApiServer() throws IOException {
        for (ResourceKind kind : ResourceKind.values()) {
            collections.put(collectionPath(kind), new Collection(kind.apiKind() + "List", kind.apiVersion(),
                    new LinkedHashMap<>(), new CopyOnWriteArrayList<>()));
        }
    }

    /** A server on a free port of 127.0.0.1 holding the objects of {@code yaml} (documents of the watched kinds). */
    static TrainingApiServer start(Iterable<String> yaml) throws IOException {
        TrainingApiServer server = new TrainingApiServer();
        for (String documents : yaml) {
            server.put(documents);
        }
        server.socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
        Thread.ofPlatform().daemon().name("aot-train-api").start(server::accept);
        return server;
    }

    /** How many objects it holds. */
    synchronized int objects() {
        return objects;
    }

    /** Waits until every collection has a watch open (the training agent's informers watch once they listed). */
    void awaitWatches(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (collections.values().stream().anyMatch(c -> c.watches().isEmpty())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the training agent opened no watch on some collection within " + within);
            }
            Thread.sleep(20);
        }
    }

    /** A kubeconfig for a client of this server, written into {@code dir}. */
    Path kubeconfig(Path dir) throws IOException {
        return Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters:
                - name: aot-training
                  cluster:
                    server: http://127.0.0.1:%d
                contexts:
                - name: aot-training
                  context:
                    cluster: aot-training
                    user: agent
                current-context: aot-training
                users:
                - name: agent
                  user:
                    token: aot-training
                """.formatted(socket.getLocalPort()));
    }

    /**
     * Adds or replaces the objects of {@code yaml} (documents of the watched kinds), each with the next resourceVersion,
     * and sends ADDED or MODIFIED to their collections' open watches.
     */
    synchronized void put(String yaml) {
        for (String document : yaml.split("(?m)^---$")) {
            if (!(YAML.readTree(document) instanceof ObjectNode object)) {
                continue; // an empty document
            }
            ResourceKind kind = ResourceKind.of(object.path("apiVersion").asString(), object.path("kind").asString());
            if (kind == null) {
                throw new IllegalArgumentException("not a watched kind: " + object.path("apiVersion") + " " + object.path("kind"));
            }
            ObjectNode metadata = (ObjectNode) object.get("metadata");
            long version = ++resourceVersion;
            metadata.put("resourceVersion", Long.toString(version));
            metadata.put("uid", "00000000-0000-4000-8000-%012d".formatted(version));
            ObjectNode managed = metadata.putArray("managedFields").addObject();
            managed.put("manager", "aot-train").put("operation", "Update").put("apiVersion", kind.apiVersion())
                    .put("time", "2026-01-01T00:00:00Z").put("fieldsType", "FieldsV1");
            managed.putObject("fieldsV1").putObject("f:metadata").putObject("f:labels");
            byte[] json = object.toString().getBytes(StandardCharsets.UTF_8);
            Collection collection = collections.get(collectionPath(kind));
            String key = metadata.path("namespace").asString() + "/" + metadata.path("name").asString();
            boolean added = collection.objects().put(key, json) == null;
            if (added) {
                objects++;
            }
            send(collection, added ? "ADDED" : "MODIFIED", json);
        }
    }

    /** {@code /api/v1/services}, {@code /apis/networking.k8s.io/v1/networkpolicies}, ... */
    private static String collectionPath(ResourceKind kind) {
        String name = kind.apiKind().toLowerCase(Locale.ROOT);
        String plural = name.endsWith("y") ? name.substring(0, name.length() - 1) + "ies" : name + "s";
        return (kind.apiVersion().contains("/") ? "/apis/" : "/api/") + kind.apiVersion() + "/" + plural;
    }

    /** Writes one watch event to the collection's open watches (one chunk each); a watch that fails is dropped. */
    private static void send(Collection collection, String type, byte[] object) {
        byte[] head = ("{\"type\":\"" + type + "\",\"object\":").getBytes(StandardCharsets.US_ASCII);
        for (OutputStream watch : collection.watches()) {
            try {
                watch.write((Integer.toHexString(head.length + object.length + 2) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                watch.write(head);
                watch.write(object);
                watch.write("}\n\r\n".getBytes(StandardCharsets.US_ASCII));
                watch.flush();
            } catch (IOException e) {
                collection.watches().remove(watch);
            }
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket connection = socket.accept();
                connections.add(connection);
                Thread.ofPlatform().daemon().name("aot-train-api").start(() -> serve(connection));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Answers the requests of one connection (HTTP/1.1, kept alive) until the client or the server closes it. */
    private void serve(Socket connection) {
        boolean watching = false;
        try {
            InputStream in = new BufferedInputStream(connection.getInputStream());
            OutputStream out = new BufferedOutputStream(connection.getOutputStream());
            for (String request = line(in); request != null && !request.isEmpty(); request = line(in)) {
                boolean upgrade = false;
                for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
                    upgrade |= header.regionMatches(true, 0, "Upgrade:", 0, 8);
                }
                String target = request.split(" ")[1];
                int q = target.indexOf('?');
                String path = q < 0 ? target : target.substring(0, q);
                Map<String, String> query = query(q < 0 ? "" : target.substring(q + 1));
                Collection collection = collections.get(path);
                if (path.equals("/version")) {
                    reply(out, 200, "{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":\"v1.33.0\"}");
                } else if (collection == null) {
                    reply(out, 404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}");
                } else if (upgrade) {
                    reply(out, 200, "");
                } else if ("true".equals(query.get("watch"))) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    collection.watches().add(out);
                    watching = true; // the watch holds the connection until the server closes
                    return;
                } else {
                    reply(out, 200, list(collection, query));
                }
            }
        } catch (IOException | RuntimeException e) {
            // The client went away, or the server closed.
        } finally {
            if (!watching) {
                closeQuietly(connection);
            }
        }
    }

    private static void closeQuietly(Socket connection) {
        try {
            connection.close();
        } catch (IOException e) {
            // closed already
        }
    }

    /** The collection, or the page of it that {@code limit} and {@code continue} (an offset here) ask for. */
    private synchronized String list(Collection collection, Map<String, String> query) {
        List<byte[]> items = new ArrayList<>(collection.objects().values());
        int from = Integer.parseInt(query.getOrDefault("continue", "0"));
        long limit = Long.parseLong(query.getOrDefault("limit", "0"));
        int to = (int) Math.min(items.size(), limit > 0 ? from + limit : Integer.MAX_VALUE);
        StringBuilder sb = new StringBuilder("{\"kind\":\"").append(collection.listKind()).append("\",\"apiVersion\":\"")
                .append(collection.apiVersion()).append("\",\"metadata\":{\"resourceVersion\":\"").append(resourceVersion).append('"');
        if (to < items.size()) {
            sb.append(",\"continue\":\"").append(to).append('"');
        }
        sb.append("},\"items\":[");
        for (int i = from; i < to; i++) {
            sb.append(i > from ? "," : "").append(new String(items.get(i), StandardCharsets.UTF_8));
        }
        return sb.append("]}").toString();
    }

    private static void reply(OutputStream out, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found") + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    /** One line of the request head without its CRLF, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return null;
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    /** Ends the watches and closes every connection. */
    @Override
    public void close() throws IOException {
        closed = true;
        socket.close();
        connections.forEach(TrainingApiServer::closeQuietly);
    }
}
