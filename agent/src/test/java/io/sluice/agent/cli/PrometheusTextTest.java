package io.sluice.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.agent.cli.metrics.MetricSample;
import io.sluice.agent.cli.metrics.PrometheusText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The parser of {@code sluice metrics} reads what the agent's Prometheus writer writes, label escapes included. */
class PrometheusTextTest {

    private static String scrape(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Property(tries = 200)
    void whatTheWriterWritesParsesBack(@ForAll @StringLength(max = 20) String label,
                                       @ForAll @DoubleRange(min = 0, max = 1e12) double increment,
                                       @ForAll @DoubleRange(min = -1e9, max = 1e9) double level) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter counter = Counter.builder().name("sluice_test_events").help("h").labelNames("kind", "reason").register(registry);
        Gauge gauge = Gauge.builder().name("sluice_test_level").help("h").register(registry);
        counter.labelValues(label, "fixed").inc(increment);
        gauge.set(level);

        PrometheusText text = PrometheusText.parse(scrape(registry));

        List<MetricSample> events = text.named("sluice_test_events_total");
        assertThat(events).hasSize(1);
        assertThat(events.getFirst().label("kind")).isEqualTo(label);
        assertThat(events.getFirst().label("reason")).isEqualTo("fixed");
        assertThat(events.getFirst().value()).isEqualTo(increment);
        assertThat(text.sum("sluice_test_level", s -> true)).isEqualTo(level);
    }

    @Test
    void sumsSamplesByLabelAndSkipsComments() {
        PrometheusText text = PrometheusText.parse("""
                # HELP sluice_map_entries Entries
                # TYPE sluice_map_entries gauge
                sluice_map_entries{map="lb4_services"} 4.0
                sluice_map_entries{map="policy4"} 10

                sluice_up +Inf
                """);
        assertThat(text.sum("sluice_map_entries", s -> true)).isEqualTo(14.0);
        assertThat(text.sum("sluice_map_entries", s -> s.label("map").equals("policy4"))).isEqualTo(10.0);
        assertThat(text.named("sluice_up").getFirst().value()).isInfinite();
        assertThat(text.has("sluice_absent")).isFalse();
        assertThat(text.named("sluice_up").getFirst().label("map")).as("absent label").isEmpty();
    }

    @Test
    void aLineThatIsNoSampleIsNamedByNumber() {
        assertThatThrownBy(() -> PrometheusText.parse("ok 1\nsluice_x{map=\"a} 1\n"))
                .hasMessage("metrics line 2: label map has no closing quote: sluice_x{map=\"a} 1");
        assertThatThrownBy(() -> PrometheusText.parse("sluice_x one\n"))
                .hasMessage("metrics line 1: value 'one' is not a number: sluice_x one");
        assertThatThrownBy(() -> PrometheusText.parse("sluice_x\n"))
                .hasMessage("metrics line 1: no value: sluice_x");
    }
}
