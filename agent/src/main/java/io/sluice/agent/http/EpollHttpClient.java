package io.sluice.agent.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking HTTP/1.1 client on Netty epoll with one event-loop thread, for the agent's own requests to an HTTP server
 * ({@code sluice aot-train} polls the training agent's {@link StatusHttpServer} with it). Each GET is one connection,
 * closed once the response is read: Netty's client codec and an aggregator of the response into a
 * {@link FullHttpResponse}. It shares its classes with {@link EpollHttpServer} but for the client codec's halves, so
 * that a run recorded into an AOT cache adds few classes to it (the JDK's {@code java.net.http} client would add
 * hundreds, loaded at every start from the cache).
 */
public final class EpollHttpClient implements AutoCloseable {
    /** The largest response body read: the status server's metrics are a few tens of kilobytes. */
    private static final int MAX_RESPONSE_BODY_BYTES = 4 * 1024 * 1024;

    /** A response: its status code and its body as UTF-8 text. */
    public record Response(int status, String body) {
    }

    private final EventLoopGroup group;
    private final Duration connectTimeout;
    private final Duration responseTimeout;

    private EpollHttpClient(EventLoopGroup group, Duration connectTimeout, Duration responseTimeout) {
        this.group = group;
        this.connectTimeout = connectTimeout;
        this.responseTimeout = responseTimeout;
    }

    /**
     * A client whose connections must be made within {@code connectTimeout} and whose responses must arrive within
     * {@code responseTimeout} of the request; its event-loop thread runs until {@link #close()}.
     *
     * @throws IllegalStateException when epoll is unavailable
     */
    public static EpollHttpClient start(Duration connectTimeout, Duration responseTimeout) {
        return new EpollHttpClient(EpollHttpServer.singleEventLoop(), connectTimeout, responseTimeout);
    }

    /**
     * GETs {@code path} (with its query, if any) from {@code server}: the response, whatever its status.
     *
     * @throws IOException naming the request, when the connection is refused or not made in time, the response does not
     *                     arrive in time, or it is not HTTP or too large
     */
    public Response get(InetSocketAddress server, String path) throws IOException, InterruptedException {
        String request = "GET " + path + " from " + NetUtil.toSocketAddressString(server);
        ResponseHandler handler = new ResponseHandler();
        ChannelFuture connect = new Bootstrap()
                .group(group)
                .channel(EpollSocketChannel.class)
                // The address is resolved already: no resolver classes or threads.
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(connectTimeout.toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BODY_BYTES), handler);
                    }
                })
                .connect(server);
        Channel channel = connect.channel();
        try {
            connect.await();
            if (!connect.isSuccess()) {
                throw new IOException(request + ": cannot connect: " + connect.cause().getMessage(), connect.cause());
            }
            FullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
            get.headers().set(HttpHeaderNames.HOST, NetUtil.toSocketAddressString(server))
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            channel.writeAndFlush(get).addListener(write -> {
                if (!write.isSuccess()) {
                    handler.response.completeExceptionally(write.cause());
                }
            });
            return handler.response.get(responseTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IOException(request + ": no response within " + responseTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new IOException(request + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            channel.close();
        }
    }

    /** Ends the event-loop thread, closing any connection still open. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Completes {@link #response} with the connection's one response, or with why there is none. */
    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        final CompletableFuture<Response> response = new CompletableFuture<>();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse message) {
            if (message.decoderResult().isFailure()) {
                response.completeExceptionally(new IOException("not an HTTP response: " + message.decoderResult().cause().getMessage(),
                        message.decoderResult().cause()));
            } else {
                response.complete(new Response(message.status().code(), message.content().toString(StandardCharsets.UTF_8)));
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            response.completeExceptionally(new IOException("the server closed the connection before a complete response"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            response.completeExceptionally(cause);
            ctx.close();
        }
    }
}
