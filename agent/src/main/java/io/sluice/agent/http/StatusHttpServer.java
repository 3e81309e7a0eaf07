package io.sluice.agent.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

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

    private final EventLoopGroup group;
    private final Channel channel;

    private StatusHttpServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and serves until {@link #close()}.
     *
     * @throws IllegalStateException when epoll is unavailable or the address cannot be bound (naming it)
     */
    public static StatusHttpServer start(InetSocketAddress address, PrometheusRegistry registry, Probe health,
                                         Probe readiness) {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty epoll is not available: " + Epoll.unavailabilityCause());
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                    new Handler(registry, health, readiness));
                        }
                    })
                    .bind(address).sync().channel();
            return new StatusHttpServer(group, channel);
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + address, e);
        } catch (Exception e) { // bind failures arrive as Netty's checked NativeIoException, rethrown by sync()
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
        }
    }

    /** The bound address (with the port chosen when 0 was asked). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
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
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            var write = ctx.writeAndFlush(response);
            if (!keepAlive) {
                write.addListener(ChannelFutureListener.CLOSE);
            }
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
