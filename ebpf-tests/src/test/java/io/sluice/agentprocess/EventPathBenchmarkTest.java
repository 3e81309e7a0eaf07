package io.sluice.agentprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link EventPathBenchmark} with JMH's GC profiler (time and bytes allocated per event). Opt-in; JMH's
 * annotation processor must run, which javac 23+ does only when asked:
 * <pre>
 * mvn -pl ebpf-tests test -Dtest=EventPathBenchmarkTest -Dsluice.bench=true -Dmaven.compiler.proc=full
 * </pre>
 */
@EnabledIfSystemProperty(named = "sluice.bench", matches = "true")
class EventPathBenchmarkTest {

    @Test
    void eventPathTimeAndAllocationPerEvent() throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(EventPathBenchmark.class.getName())
                .addProfiler(GCProfiler.class)
                .forks(1)
                .jvmArgs(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                        .filter(a -> a.startsWith("--") || a.startsWith("-D")).toArray(String[]::new))
                .warmupIterations(3).warmupTime(TimeValue.seconds(2))
                .measurementIterations(5).measurementTime(TimeValue.seconds(2))
                .build()).run();
        assertThat(results).hasSize(2);
        for (RunResult r : results) {
            System.out.printf("%s: %.1f ns/event, %.1f B/event allocated%n", r.getParams().getBenchmark(),
                    r.getPrimaryResult().getScore(),
                    r.getSecondaryResults().get("gc.alloc.rate.norm").getScore());
        }
    }
}
