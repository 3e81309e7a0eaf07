package io.sluice.agent.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client {@code sluice aot-train} polls the training agent's status server with: the status code and body the
 * server sent, whatever they are; and an IOException naming the request when the connection is refused, the response
 * does not come in time, the server closes without one, or the peer does not speak HTTP.
 */
class EpollHttpClientTest {
    private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    /** What the property's server answers next: the status code and the body. */
    private static final AtomicReference<EpollHttpClient.Response> NEXT_ANSWER = new AtomicReference<>();
    private static EpollHttpServer answeringServer;
    private static EpollHttpClient propertyClient;

    private EpollHttpClient client;
    private AutoCloseable server;

    @BeforeContainer
    static void startAnsweringServer() {
        answeringServer = EpollHttpServer.start(LOOPBACK_ANY_PORT, () -> handler((ctx, request) -> {
            EpollHttpClient.Response answer = NEXT_ANSWER.get();
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(answer.status()),
                    Unpooled.copiedBuffer(answer.body(), StandardCharsets.UTF_8));
            HttpUtil.setContentLength(response, response.content().readableBytes());
            EpollHttpServer.respond(ctx, request, response);
        }));
        propertyClient = EpollHttpClient.start(Duration.ofSeconds(1), Duration.ofSeconds(5));
    }

    @AfterContainer
    static void stopAnsweringServer() {
        propertyClient.close();
        answeringServer.close();
    }

    @BeforeEach
    void startClient() {
        client = EpollHttpClient.start(Duration.ofSeconds(1), Duration.ofMillis(300));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        if (server != null) {
            server.close();
        }
    }

    @Property(tries = 200)
    void theStatusAndBodyAreTheServersWhateverTheyAre(@ForAll @IntRange(min = 200, max = 599) int status, @ForAll String body)
            throws Exception {
        // 204, 205 and 304 answers have no body by definition.
        int withBody = status == 204 || status == 205 || status == 304 ? 200 : status;
        NEXT_ANSWER.set(new EpollHttpClient.Response(withBody, body));

        EpollHttpClient.Response response = propertyClient.get(answeringServer.localAddress(), "/any?query=1");

        assertThat(response).isEqualTo(new EpollHttpClient.Response(withBody, body));
    }

    @Test
    void theStatusServersProbesAndMetricsAreRead() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        metrics.eventReceived(ResourceKind.ENDPOINT_SLICE);
        AtomicReference<String> readinessProblem = new AtomicReference<>("EndpointSlice from kubernetes not synced");
        StatusHttpServer status = StatusHttpServer.start(LOOPBACK_ANY_PORT, metrics.registry(), () -> null, readinessProblem::get);
        server = status;
        InetSocketAddress address = status.localAddress();

        assertThat(client.get(address, "/readyz"))
                .isEqualTo(new EpollHttpClient.Response(503, "EndpointSlice from kubernetes not synced\n"));
        readinessProblem.set(null);
        assertThat(client.get(address, "/readyz")).isEqualTo(new EpollHttpClient.Response(200, "ok\n"));
        EpollHttpClient.Response scrape = client.get(address, "/metrics");
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.body()).contains("sluice_events_received_total{kind=\"EndpointSlice\"} 1");
        assertThat(client.get(address, "/nope").status()).isEqualTo(404);
    }

    @Test
    void aRefusedConnectionIsAnErrorNamingTheRequest() throws Exception {
        InetSocketAddress closed;
        try (EpollHttpServer gone = EpollHttpServer.start(LOOPBACK_ANY_PORT, () -> handler((ctx, request) -> { }))) {
            closed = gone.localAddress();
        }

        assertThatThrownBy(() -> client.get(closed, "/readyz"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("GET /readyz from " + closed.getHostString() + ":" + closed.getPort())
                .hasMessageContaining("cannot connect")
                .hasMessageContaining("Connection refused");
    }

    @Test
    void aResponseThatDoesNotComeInTimeIsAnErrorNamingTheRequestAndTheTimeout() {
        EpollHttpServer silent = EpollHttpServer.start(LOOPBACK_ANY_PORT, () -> handler((ctx, request) -> { }));
        server = silent;

        assertThatThrownBy(() -> client.get(silent.localAddress(), "/metrics"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("GET /metrics from " + silent.localAddress().getHostString())
                .hasMessageContaining("no response within 300 ms");
    }

    @Test
    void aConnectionClosedWithoutAResponseIsAnError() {
        EpollHttpServer closing = EpollHttpServer.start(LOOPBACK_ANY_PORT, () -> handler((ctx, request) -> ctx.close()));
        server = closing;

        assertThatThrownBy(() -> client.get(closing.localAddress(), "/healthz"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("GET /healthz from ")
                .hasMessageContaining("closed the connection before a complete response");
    }

    @Test
    void aPeerThatDoesNotSpeakHttpIsAnError() throws Exception {
        try (ServerSocket notHttp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket peer = notHttp.accept(); OutputStream out = peer.getOutputStream()) {
                    out.write("SSH-2.0-OpenSSH_9.6\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    peer.getInputStream().read();
                } catch (IOException e) {
                    // the client closed first
                }
            });
            InetSocketAddress address = (InetSocketAddress) notHttp.getLocalSocketAddress();

            assertThatThrownBy(() -> client.get(address, "/readyz"))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("GET /readyz from ")
                    .hasMessageContaining("not an HTTP response");
        }
    }

    /** A server's handler of each request: {@code answer} decides what, if anything, goes back. */
    private static SimpleChannelInboundHandler<FullHttpRequest> handler(BiConsumer<ChannelHandlerContext, FullHttpRequest> answer) {
        return new SimpleChannelInboundHandler<>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                answer.accept(ctx, request);
            }
        };
    }
}
