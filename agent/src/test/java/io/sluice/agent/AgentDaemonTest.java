package io.sluice.agent;

import static io.sluice.agent.testsupport.Http.get;
import static io.sluice.agent.testsupport.TestObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.config.AgentConfig;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.FakeSource;
import io.sluice.agent.testsupport.RecordingReconciler;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wired agent: writer on its own thread, HTTP probes following the source's sync and the flushes. */
class AgentDaemonTest {
    @TempDir
    Path dir;

    private AgentConfig config() {
        return new AgentConfig().nodeName("node-1").manifests(dir).metricsAddress("127.0.0.1:0")
                .stateDir(dir.resolve("state").toAbsolutePath()).conclude(Map.of());
    }

    @Test
    void readyzAnswers503UntilTheSourceIsSyncedAndAFlushSucceeded() throws Exception {
        FakeSource source = new FakeSource();
        RecordingReconciler reconciler = new RecordingReconciler();
        reconciler.failFlushWith = new IllegalStateException("services map not pinned yet");
        try (AgentDaemon agent = AgentDaemon.start(config(), source, null, List.of(reconciler), new AgentMetrics())) {
            InetSocketAddress http = agent.httpAddress();
            assertThat(get(http, "/healthz").statusCode()).isEqualTo(200);
            HttpResponse<String> before = get(http, "/readyz");
            assertThat(before.statusCode()).isEqualTo(503);
            assertThat(before.body()).contains("Service from fake not synced");

            source.put(service("default", "web", "1", 80));
            source.setSynced(true);
            Await.until(() -> get(http, "/readyz").body().contains("services map not pinned yet"),
                    () -> "the flush failure as reason, got " + get(http, "/readyz").body());
            assertThat(get(http, "/readyz").statusCode()).isEqualTo(503);

            reconciler.failFlushWith = null;
            Await.until(() -> get(http, "/readyz").statusCode() == 200, () -> "ready, got " + get(http, "/readyz").body());
            assertThat(reconciler.changesOf(new ObjectKey(ResourceKind.SERVICE, "default", "web"))).hasSize(1);
            assertThat(get(http, "/metrics").body()).contains("sluice_events_received_total{kind=\"Service\"} 1")
                    .contains("sluice_sync_duration_seconds_count 1");
        }
    }

    @Test
    void healthReportsAStoppedWriter() throws Exception {
        FakeSource source = new FakeSource();
        AgentDaemon agent = AgentDaemon.start(config(), source, null, List.of(), new AgentMetrics());
        assertThat(agent.healthProblem()).isNull();
        agent.close();
        assertThat(agent.healthProblem()).isEqualTo("writer thread is not running");
        assertThat(agent.readinessProblem()).isEqualTo("writer thread is not running");
    }
}
