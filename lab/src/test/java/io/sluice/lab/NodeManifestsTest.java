package io.sluice.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeManifestsTest {
    @TempDir
    Path dir;

    @Test
    void theAgentsDirectoryHoldsEveryPlannedObjectAndReadsBackTheSame() {
        LabPlan plan = LabPlanner.plan("sluice-lab", ManifestSet.read(ManifestSetTest.EXAMPLES), 2, Assignments.none());
        assertThat(NodeManifests.write(dir, plan.objects())).isTrue();
        ManifestSet back = ManifestSet.read(dir);
        KubernetesSerialization json = new KubernetesSerialization();
        List<String> written = plan.objects().stream().map(json::asJson).sorted().toList();
        List<String> read = new java.util.ArrayList<>();
        java.util.stream.Stream.of(back.namespaces(), back.pods(), back.services(), back.endpointSlices(),
                back.networkPolicies()).forEach(l -> l.forEach(o -> read.add(json.asJson(o))));
        assertThat(read).isSubsetOf(written);
        assertThat(back.ignored()).hasSize(2).allSatisfy(w -> assertThat(w).contains("the lab makes its own nodes"));
        assertThat(read).hasSize(written.size() - 2); // less the two Node objects, which the lab does not read
        assertThat(dir.resolve("nodes.yaml")).content().contains("podCIDR: \"198.19.2.0/24\"");
    }

    @Test
    void unchangedFilesAreNotRewritten() throws IOException {
        LabPlan plan = LabPlanner.plan("sluice-lab", ManifestSet.read(ManifestSetTest.EXAMPLES), 2, Assignments.none());
        NodeManifests.write(dir, plan.objects());
        FileTime old = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        for (String f : NodeManifests.FILES) {
            Files.setLastModifiedTime(dir.resolve(f), old);
        }
        assertThat(NodeManifests.write(dir, plan.objects())).isFalse();
        assertThat(NodeManifests.FILES).allSatisfy(f -> assertThat(Files.getLastModifiedTime(dir.resolve(f))).isEqualTo(old));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(NodeManifests.FILES);
        }
    }
}
