package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.lab.LabState.NodeState;
import io.sluice.lab.LabState.PodState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabStateFileTest {
    @TempDir
    Path dir;

    @Test
    void aStateReadsBackEqualAndNoFileMeansNoLab() {
        LabPlan plan = LabPlanner.plan("sluice-lab", ManifestSet.read(ManifestSetTest.EXAMPLES), 2, Assignments.none());
        LabState state = new LabState(LabState.VERSION, "sluice-lab", "/m", List.of("bin/sluice", "agent"),
                new ProcessRecord(42, 1000, false), plan.nodes().stream().map(n -> new NodeState(n, new ProcessRecord(7, 8, true), 1)).toList(),
                plan.pods().stream().map(p -> new PodState(p, null, 0)).toList(), List.of(), plan.assignments(),
                List.of("a problem"), List.of()).withPlan(plan).withProblems(List.of("a problem"));
        LabStateFile file = new LabStateFile(dir.resolve("run/state.json"));
        assertThat(file.read()).isEmpty();
        file.write(state);
        assertThat(file.read()).contains(state);
        file.delete();
        assertThat(file.read()).isEmpty();
    }

    @Test
    void aStateOfAnotherVersionOrNotJsonIsRefusedNamingTheFile() throws IOException {
        Path path = dir.resolve("state.json");
        Files.writeString(path, "{\"version\": 99}");
        assertThatThrownBy(() -> new LabStateFile(path).read()).hasMessageContaining(path.toString())
                .hasMessageContaining("version 99");
        Files.writeString(path, "{\"version\": 1, \"nodes\": 5}");
        assertThatThrownBy(() -> new LabStateFile(path).read()).hasMessageContaining("is not a lab state file");
    }

    @Test
    void processRecordsTellTheirProcessFromAnotherWithThePid() {
        ProcessRecord self = ProcessRecord.of(ProcessHandle.current());
        assertThat(self.alive()).isTrue();
        assertThat(new ProcessRecord(self.pid(), self.startedAtMillis() - 10_000, false).alive()).isFalse();
    }

    @Test
    void aProcessRunsOnlyOnceItServes() {
        ProcessRecord started = ProcessRecord.justStarted(ProcessHandle.current());
        assertThat(started.alive()).isTrue();
        assertThat(started.running()).as("alive but not serving yet").isFalse();
        assertThat(started.asServing().running()).isTrue();
        assertThat(new ProcessRecord(started.pid(), started.startedAtMillis() - 10_000, false).running()).isFalse();
    }

    @Test
    void processesOfAStateWrittenBeforeServingWasRecordedReadAsServing() throws IOException {
        Path path = dir.resolve("state.json");
        Files.writeString(path, """
                {"version": 1, "name": "old", "manifests": "/m", "agentCommand": ["bin/sluice", "agent"],
                 "supervisor": {"pid": 42, "startedAtMillis": 1000}, "nodes": [], "pods": [], "services": [],
                 "assignments": {"podNodes": {}, "podAddresses": {}, "podNamespaces": {}, "podInterfaces": {},
                                 "clusterIPs": {}, "nodePorts": {}}, "problems": [], "warnings": []}
                """);
        assertThat(new LabStateFile(path).read().orElseThrow().supervisor()).isEqualTo(new ProcessRecord(42, 1000, false));
    }

}
