package io.sluice.agent.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The agent's HTTP endpoints on Netty epoll, one event-loop thread: {@code /metrics} (Prometheus text format),
 * {@code /healthz} (the process and its writer are alive) and {@code /readyz} (the maps reflect the synced state).
 * Probes answer 200 {@code ok} or 503 with the reason. GET and HEAD only.
 *
 * <p>The event-loop thread only reads: the registry's scrape and the {@link Probe}s, which must read published,
 * immutable state.
 */
public final class StatusHttpServer implements AutoCloseable {

    /** A health or readiness check: null when fine, else why not. Called on the event-loop thread; must not block. */
    @FunctionalInterface
    public interface Probe {
        String problem();
    }

    private static final String TEXT = "text/plain; charset=utf-8";

    private final EpollHttpServer server;

    private StatusHttpServer(EpollHttpServer server) {
        this.server = server;
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and serves until {@link #close()}.
     *
     * @throws IllegalStateException when epoll is unavailable or the address cannot be bound (naming it)
     */
    public static StatusHttpServer start(InetSocketAddress address, PrometheusRegistry registry, Probe health,
                                         Probe readiness) {
        return new StatusHttpServer(EpollHttpServer.start(address, () -> new Handler(registry, health, readiness)));
    }

    /** The bound address (with the port chosen when 0 was asked). */
    public InetSocketAddress localAddress() {
        return server.localAddress();
    }

    @Override
    public void close() {
        server.close();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final PrometheusRegistry registry;
        private final Probe health;
        private final Probe readiness;
        private final PrometheusTextFormatWriter textFormat = PrometheusTextFormatWriter.create();

        Handler(PrometheusRegistry registry, Probe health, Probe readiness) {
            this.registry = registry;
            this.health = health;
            this.readiness = readiness;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            HttpMethod method = request.method();
            if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
                response = text(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n");
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            } else {
                response = switch (new QueryStringDecoder(request.uri()).path()) {
                    case "/metrics" -> metrics(ctx);
                    case "/healthz" -> probe(ctx, health);
                    case "/readyz" -> probe(ctx, readiness);
                    default -> text(ctx, HttpResponseStatus.NOT_FOUND, "not found; try /metrics, /healthz, /readyz\n");
                };
            }
            HttpUtil.setContentLength(response, response.content().readableBytes());
            if (method.equals(HttpMethod.HEAD)) {
                response.content().clear();
            }
            EpollHttpServer.respond(ctx, request, response);
        }

        private FullHttpResponse metrics(ChannelHandlerContext ctx) {
            ByteBuf body = ctx.alloc().buffer(16 * 1024);
            try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                textFormat.write(out, registry.scrape());
            } catch (IOException | RuntimeException e) {
                body.release();
                return text(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed: " + e + "\n");
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, textFormat.getContentType());
            return response;
        }

        private static FullHttpResponse probe(ChannelHandlerContext ctx, Probe probe) {
            String problem;
            try {
                problem = probe.problem();
            } catch (RuntimeException e) {
                problem = "probe failed: " + e;
            }
            return problem == null
                    ? text(ctx, HttpResponseStatus.OK, "ok\n")
                    : text(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, problem + "\n");
        }

        private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, TEXT);
            return response;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
