package io.sluice.agent.http;

import static io.sluice.agent.testsupport.Http.get;
import static io.sluice.agent.testsupport.Http.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.PrometheusText;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The status server over Netty epoll: metrics in Prometheus text format, probes with reasons, errors. */
class StatusHttpServerTest {
    private final AgentMetrics metrics = new AgentMetrics();
    private final AtomicReference<String> healthProblem = new AtomicReference<>();
    private final AtomicReference<String> readinessProblem = new AtomicReference<>("Service from kubernetes not synced");
    private StatusHttpServer server;

    private InetSocketAddress start() {
        server = StatusHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), metrics.registry(),
                healthProblem::get, readinessProblem::get);
        return server.localAddress();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void metricsAreServedInPrometheusTextFormatWithTheAgentsMetricNames() {
        // What the writer and the reconcilers record while they work.
        metrics.eventReceived(ResourceKind.SERVICE);
        metrics.syncCompleted(0.8);
        metrics.eventFlushed(0.002);
        metrics.mapOperations("services", "update").inc(3);
        metrics.mapErrors("services").inc();
        metrics.mapEntries("services").set(42);
        metrics.objectRefused("Service", "invalid_port");
        InetSocketAddress address = start();

        HttpResponse<String> response = get(address, "/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain").contains("version=0.0.4"));
        assertThat(PrometheusText.sampleNames(response.body())).contains(
                "sluice_events_received_total", "sluice_sync_duration_seconds_bucket",
                "sluice_sync_duration_seconds_count", "sluice_event_to_map_latency_seconds_bucket",
                "sluice_map_operations_total", "sluice_map_errors_total", "sluice_map_entries",
                "sluice_objects_refused_total");
        assertThat(response.body())
                .contains("sluice_events_received_total{kind=\"Service\"} 1")
                .contains("sluice_events_received_total{kind=\"EndpointSlice\"} 0")
                .contains("sluice_map_operations_total{map=\"services\",op=\"update\"} 3")
                .contains("sluice_map_entries{map=\"services\"} 42")
                .contains("sluice_objects_refused_total{kind=\"Service\",reason=\"invalid_port\"} 1");
    }

    @Test
    void probesAnswer200OrA503WithTheReason() {
        InetSocketAddress address = start();

        assertThat(get(address, "/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> notReady = get(address, "/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).isEqualTo("Service from kubernetes not synced\n");

        readinessProblem.set(null);
        assertThat(get(address, "/readyz").statusCode()).isEqualTo(200);
        assertThat(get(address, "/readyz").body()).isEqualTo("ok\n");

        healthProblem.set("writer thread is not running");
        HttpResponse<String> unhealthy = get(address, "/healthz");
        assertThat(unhealthy.statusCode()).isEqualTo(503);
        assertThat(unhealthy.body()).contains("writer thread is not running");
    }

    @Test
    void unknownPathsAndMethodsAreRefused() {
        InetSocketAddress address = start();

        assertThat(get(address, "/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> post = request(address, "POST", "/metrics");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
        HttpResponse<String> head = request(address, "HEAD", "/healthz");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void anAddressInUseIsReportedWithTheAddress() {
        InetSocketAddress address = start();
        assertThatThrownBy(() -> StatusHttpServer.start(address, metrics.registry(), () -> null, () -> null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(address.getAddress().getHostAddress()).hasMessageContaining(":" + address.getPort());
    }
}
