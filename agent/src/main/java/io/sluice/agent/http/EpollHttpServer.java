package io.sluice.agent.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * An HTTP/1.1 server on Netty epoll with one event-loop thread, what the agent's HTTP servers share
 * ({@link StatusHttpServer}; the loopback API server of {@code sluice aot-train}): each connection's pipeline is Netty's
 * HTTP codec, an aggregator of its small requests into {@link FullHttpRequest}s, and a handler of those.
 */
public final class EpollHttpServer implements AutoCloseable {
    /** The largest request body aggregated: the agent's servers answer GETs and HEADs, which have none. */
    private static final int MAX_REQUEST_BODY_BYTES = 8192;

    private final EventLoopGroup group;
    private final Channel channel;

    private EpollHttpServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * One epoll event-loop thread, for a server here or an {@link EpollHttpClient}.
     *
     * @throws IllegalStateException when epoll is unavailable (naming why)
     */
    static EventLoopGroup singleEventLoop() {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty epoll is not available: " + Epoll.unavailabilityCause());
        }
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and serves until {@link #close()}, each connection's requests
     * by a handler of {@link FullHttpRequest}s from {@code requests}.
     *
     * @throws IllegalStateException when epoll is unavailable or the address cannot be bound (naming it)
     */
    public static EpollHttpServer start(InetSocketAddress address, Supplier<? extends ChannelHandler> requests) {
        EventLoopGroup group = singleEventLoop();
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BODY_BYTES),
                                    requests.get());
                        }
                    })
                    .bind(address).sync().channel();
            return new EpollHttpServer(group, channel);
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + address, e);
        } catch (Exception e) { // bind failures arrive as Netty's checked NativeIoException, rethrown by sync()
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot serve HTTP on " + address + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code response} to {@code request}'s connection, which stays open if the request asks to keep it alive (the
     * response says which). Call on the connection's event loop, with the response's content length set.
     */
    public static void respond(ChannelHandlerContext ctx, HttpRequest request, HttpResponse response) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var write = ctx.writeAndFlush(response);
        if (!keepAlive) {
            write.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The bound address (with the port chosen when 0 was asked). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops listening and closes every connection. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
