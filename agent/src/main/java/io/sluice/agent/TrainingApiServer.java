package io.sluice.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.sluice.agent.http.EpollHttpServer;
import io.sluice.agent.model.ResourceKind;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
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
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The list and watch part of a Kubernetes API server on loopback, for {@code sluice aot-train --source api}: it serves
 * the training objects ({@link TrainingManifests}' documents) as an API server sends them, JSON with a resourceVersion
 * and a {@code managedFields} entry, in pages ({@code limit} and {@code continue}), and watch streams that
 * {@link #put} writes to, so that the training agent runs a node's API path: fabric8's client on Vert.x, the
 * informers' lists and watches, the JSON binds, the compaction and the writer.
 *
 * <p>Plain HTTP on Netty epoll ({@link EpollHttpServer}, as the agent's status server): an image build has no cluster
 * and no certificates, so TLS is the part of a node's API path this does not train. Requests are answered on the
 * server's event-loop thread; a watch is a chunked response that keeps its connection, one chunk per event. fabric8's
 * first try at a watch is a WebSocket upgrade, which a real API server accepts; a 200 to it makes fabric8 watch over
 * plain HTTP instead. A watch asking for an older resourceVersion gets no replay (nothing changes between the training
 * agent's lists and its watches until {@link #awaitWatches} saw every watch open).
 */
final class TrainingApiServer implements AutoCloseable {
    /** One collection, e.g. {@code /api/v1/services}: its objects' JSON by namespace/name, and its open watches. */
    private record Collection(String listKind, String apiVersion, Map<String, byte[]> objects, List<Channel> watches) {
    }

    /** What the agent reads its configuration file with: the training adds no YAML reader of its own to the cache. */
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final JsonMapper JSON = new JsonMapper();
    private static final String VERSION = JsonNodeFactory.instance.objectNode().put("major", "1").put("minor", "33")
            .put("gitVersion", "v1.33.0").toString();
    private final Map<String, Collection> collections = new HashMap<>();
    private final EpollHttpServer http;
    private long resourceVersion = 1;
    private int objects;

    private TrainingApiServer(Iterable<String> yaml) {
        for (ResourceKind kind : ResourceKind.values()) {
            collections.put(collectionPath(kind), new Collection(kind.apiKind() + "List", kind.apiVersion(),
                    new LinkedHashMap<>(), new CopyOnWriteArrayList<>()));
        }
        for (String documents : yaml) {
            put(documents);
        }
        http = EpollHttpServer.start(new InetSocketAddress("127.0.0.1", 0), Requests::new);
    }

    /**
     * A server on a free port of 127.0.0.1 holding the objects of {@code yaml} (documents of the watched kinds).
     *
     * @throws IllegalStateException when epoll is unavailable or no port can be bound
     */
    static TrainingApiServer start(Iterable<String> yaml) {
        return new TrainingApiServer(yaml);
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
                """.formatted(http.localAddress().getPort()));
    }

    /**
     * Adds or replaces the objects of {@code yaml} (documents of the watched kinds), each with the next resourceVersion,
     * and sends ADDED or MODIFIED to their collections' open watches.
     */
    synchronized void put(String yaml) {
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (documents.hasNextValue()) {
                if (documents.nextValue() instanceof ObjectNode object) { // not an empty document
                    store(object);
                }
            }
        }
    }

    /** Adds or replaces {@code object} (one of the watched kinds) and tells the open watches of its collection. */
    private void store(ObjectNode object) {
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

    /** {@code /api/v1/services}, {@code /apis/networking.k8s.io/v1/networkpolicies}, ... */
    private static String collectionPath(ResourceKind kind) {
        String name = kind.apiKind().toLowerCase(Locale.ROOT);
        String plural = name.endsWith("y") ? name.substring(0, name.length() - 1) + "ies" : name + "s";
        return (kind.apiVersion().contains("/") ? "/apis/" : "/api/") + kind.apiVersion() + "/" + plural;
    }

    /** Writes one watch event to the collection's open watches (one chunk each); a watch that fails is closed. */
    private static void send(Collection collection, String type, byte[] object) {
        ByteBuf event = Unpooled.buffer();
        try (JsonGenerator json = JSON.createGenerator((OutputStream) new ByteBufOutputStream(event))) {
            json.writeStartObject();
            json.writeStringProperty("type", type);
            json.writeName("object");
            json.writeRawValue(new String(object, StandardCharsets.UTF_8));
            json.writeEndObject();
        }
        event.writeByte('\n');
        for (Channel watch : collection.watches()) {
            watch.writeAndFlush(new DefaultHttpContent(event.retainedDuplicate()))
                    .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        event.release();
    }

    /** The collection, or the page of it that {@code limit} and {@code continue} (an offset here) ask for. */
    private synchronized ByteBuf list(ByteBufAllocator alloc, Collection collection, int from, long limit) {
        List<byte[]> items = new ArrayList<>(collection.objects().values());
        int to = (int) Math.min(items.size(), limit > 0 ? from + limit : Integer.MAX_VALUE);
        ByteBuf body = alloc.buffer();
        try (JsonGenerator json = JSON.createGenerator((OutputStream) new ByteBufOutputStream(body))) {
            json.writeStartObject();
            json.writeStringProperty("kind", collection.listKind());
            json.writeStringProperty("apiVersion", collection.apiVersion());
            json.writeName("metadata");
            json.writeStartObject();
            json.writeStringProperty("resourceVersion", Long.toString(resourceVersion));
            if (to < items.size()) {
                json.writeStringProperty("continue", Integer.toString(to));
            }
            json.writeEndObject();
            json.writeName("items");
            json.writeStartArray();
            for (int i = from; i < to; i++) {
                json.writeRawValue(new String(items.get(i), StandardCharsets.UTF_8));
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (RuntimeException e) {
            body.release();
            throw e;
        }
        return body;
    }

    /** A Status object, as an API server answers a request it refuses. */
    private static String status(HttpResponseStatus code, String reason, String message) {
        ObjectNode status = JsonNodeFactory.instance.objectNode().put("kind", "Status").put("apiVersion", "v1");
        status.putObject("metadata");
        return status.put("status", "Failure").put("message", message).put("reason", reason).put("code", code.code()).toString();
    }

    /**
     * Answers one connection's requests: GETs of {@code /version} and the collections, a 404 Status for anything else
     * and a 400 one for a list whose limit or continue is no number of 0 or more. A watch keeps the connection, for the events
     * {@link #put} sends, until the client or the server closes it.
     */
    private final class Requests extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            Collection collection = collections.get(uri.path());
            if (uri.path().equals("/version")) {
                reply(ctx, request, HttpResponseStatus.OK, VERSION);
            } else if (collection == null) {
                reply(ctx, request, HttpResponseStatus.NOT_FOUND, status(HttpResponseStatus.NOT_FOUND, "NotFound",
                        "not served by the training API server: " + uri.path()));
            } else if (request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
                reply(ctx, request, HttpResponseStatus.OK, "");
            } else if ("true".equals(parameter(uri, "watch", ""))) {
                watch(ctx, collection);
            } else {
                int from;
                long limit;
                try {
                    from = Integer.parseInt(parameter(uri, "continue", "0"));
                    limit = Long.parseLong(parameter(uri, "limit", "0"));
                } catch (NumberFormatException e) {
                    from = -1;
                    limit = -1;
                }
                if (from < 0 || limit < 0) {
                    reply(ctx, request, HttpResponseStatus.BAD_REQUEST, status(HttpResponseStatus.BAD_REQUEST, "BadRequest",
                            "a list's limit and continue are numbers of 0 or more here, not limit=%s continue=%s"
                                    .formatted(parameter(uri, "limit", ""), parameter(uri, "continue", ""))));
                    return;
                }
                reply(ctx, request, HttpResponseStatus.OK, list(ctx.alloc(), collection, from, limit));
            }
        }

        /** The response head of a chunked stream, then the connection is the collection's until it closes. */
        private static void watch(ChannelHandlerContext ctx, Collection collection) {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            HttpUtil.setTransferEncodingChunked(response, true);
            ctx.writeAndFlush(response);
            Channel channel = ctx.channel();
            collection.watches().add(channel);
            channel.closeFuture().addListener(closed -> collection.watches().remove(channel));
        }

        private static String parameter(QueryStringDecoder uri, String name, String absent) {
            List<String> values = uri.parameters().get(name);
            return values == null ? absent : values.getFirst();
        }

        private static void reply(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, String body) {
            reply(ctx, request, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        }

        private static void reply(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, ByteBuf body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            HttpUtil.setContentLength(response, body.readableBytes());
            EpollHttpServer.respond(ctx, request, response);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the client went away, or sent what this cannot answer
        }
    }

    /** Ends the watches and closes every connection. */
    @Override
    public void close() {
        http.close();
    }
}
