package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.RecordingReconciler;
import io.sluice.agent.writer.StateWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest source scan by scan, on the test thread: a scan publishes only the objects of the files that changed,
 * and any sequence of writes and deletes, scanned incrementally, ends where a fresh full scan of the folder starts.
 */
class ManifestDirectoryIncrementalTest {
    private static final List<String> FILES = List.of("a.yaml", "b.yaml", "c.yaml", "d.yml");
    private static final List<String> NAMES = List.of("web", "api", "db");

    /** A source driven by {@link ManifestDirectorySource#scanOnce}, with the writer whose store its events fill. */
    private static final class Driven {
        final AgentMetrics metrics = new AgentMetrics();
        final RecordingReconciler reconciler = new RecordingReconciler();
        final ManifestDirectorySource source;
        final StateWriter writer;

        Driven(Path dir) {
            source = new ManifestDirectorySource(dir, Duration.ofHours(1), metrics, false);
            writer = new StateWriter(new EventQueue(4096, metrics), List.of(source), List.of(reconciler), metrics);
        }

        void scan(Set<Path> touched, boolean full) {
            source.scanOnce(writer.channelOf(source), touched, full);
            while (writer.doWork() > 0) {
                // apply every queued event
            }
        }
    }

    private static String service(String name, int port) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                spec:
                  clusterIP: 10.96.0.10
                  ports:
                  - port: %d
                    protocol: TCP
                """.formatted(name, port);
    }

    private static void write(Path dir, String name, String yaml) throws IOException {
        Path tmp = dir.resolve("." + name + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static ObjectKey serviceKey(String name) {
        return new ObjectKey(ResourceKind.SERVICE, "default", name);
    }

    @TempDir
    Path dir;

    @Test
    void rewritingOneFileOfManyPublishesOnlyThatFilesObjects() throws IOException {
        for (int i = 0; i < 50; i++) {
            write(dir, "svc-%02d.yaml".formatted(i), service("s-" + i, 80) + "---\n" + service("t-" + i, 80));
        }
        Driven driven = new Driven(dir);
        driven.scan(Set.of(), true);
        assertThat(driven.writer.store().size(ResourceKind.SERVICE)).isEqualTo(100);
        long eventsAfterFirstScan = driven.reconciler.changes.size();
        driven.reconciler.changes.clear();

        write(dir, "svc-07.yaml", service("s-7", 81) + "---\n" + service("t-7", 80));
        driven.scan(Set.of(dir.resolve("svc-07.yaml"), dir.resolve(".svc-07.yaml.tmp")), false);

        assertThat(eventsAfterFirstScan).isPositive();
        assertThat(driven.reconciler.changes).extracting(RecordingReconciler.Change::key)
                .containsExactly(serviceKey("s-7"));
        assertThat(driven.writer.store().get(serviceKey("s-7"), Service.class).getSpec().getPorts().getFirst()
                .getPort()).isEqualTo(81);

        // A full comparison afterwards finds nothing else to publish.
        driven.reconciler.changes.clear();
        driven.scan(Set.of(), true);
        assertThat(driven.reconciler.changes).isEmpty();
    }

    @Test
    void aDocumentReadBeforeThatMovedWithinItsFileIsReportedAtItsNewLine() throws IOException {
        // A document whose text was read before is not parsed again; its objects must still say where they now are.
        write(dir, "a.yaml", service("web", 80) + "---\n" + service("api", 80));
        write(dir, "b.yaml", service("web", 81));
        Driven driven = new Driven(dir);
        driven.scan(Set.of(), true);
        assertThat(driven.source.problems()).singleElement()
                .satisfies(p -> assertThat(p.reason()).endsWith("already defined at " + dir.resolve("a.yaml") + ":1; this one is ignored"));

        String moved = "# the same two Services, swapped\n\n" + service("api", 80) + "---\n" + service("web", 80);
        write(dir, "a.yaml", moved);
        driven.scan(Set.of(dir.resolve("a.yaml")), false);

        int webLine = moved.lines().toList().lastIndexOf("---") + 2;
        assertThat(driven.source.problems()).singleElement()
                .satisfies(p -> assertThat(p.reason()).endsWith("already defined at " + dir.resolve("a.yaml") + ":" + webLine + "; this one is ignored"));
        Driven fresh = new Driven(dir);
        fresh.scan(Set.of(), true);
        assertThat(driven.source.problems()).isEqualTo(fresh.source.problems());
        assertThat(driven.writer.store().get(serviceKey("web"), Service.class).getSpec().getPorts().getFirst().getPort())
                .isEqualTo(80);
    }

    @Test
    void eachEventCarriesTheTimeItsFilesChangeReachedTheAgentNotWhenItWasPublished() throws IOException {
        write(dir, "a.yaml", service("web", 80));
        write(dir, "b.yaml", service("api", 80));
        write(dir, "c.yaml", service("db", 80));
        ManifestDirectorySource source = new ManifestDirectorySource(dir, Duration.ofHours(1), new AgentMetrics(), false);
        EventQueue queue = new EventQueue(256, new AgentMetrics());
        source.scanOnce(queue.channel(source.name()), Set.of(), true);
        queue.drain(e -> { }, queue.capacity());

        // a.yaml and b.yaml were notified at (made-up) times 1,000 and 2,000; c.yaml, replaced by another inode, is
        // found by the full comparison at 5,000; b.yaml is then deleted. Every event starts at its file's time.
        write(dir, "a.yaml", service("web", 81));
        Files.delete(dir.resolve("b.yaml"));
        write(dir, "c.yaml", service("db", 81));
        source.scanOnce(queue.channel(source.name()), Map.of(dir.resolve("a.yaml"), 1_000L, dir.resolve("b.yaml"), 2_000L),
                true, 5_000L);
        Map<String, Long> received = new TreeMap<>();
        queue.drain(e -> received.put((e.deleted() ? "delete " : "update ") + e.object().getMetadata().getName(),
                e.receivedNanos()), queue.capacity());

        assertThat(received).containsExactly(Map.entry("delete api", 2_000L), Map.entry("update db", 5_000L),
                Map.entry("update web", 1_000L));
    }

    @Test
    void aFileReadWhileItsTimestampWasRecentIsReadAgainByTheNextComparisonEvenIfItsAttributesLookTheSame()
            throws IOException {
        // A rewrite within one file-system timestamp step, in place (same inode) and of the same size, leaves the
        // attributes as they were; only a notification would tell. Here the timestamp is pinned to make that exact.
        Path file = dir.resolve("a.yaml");
        FileTime pinned = FileTime.fromMillis(System.currentTimeMillis() + 60_000);
        Files.writeString(file, service("web", 80));
        Files.setLastModifiedTime(file, pinned);
        Driven driven = new Driven(dir);
        driven.scan(Set.of(), true);
        driven.reconciler.changes.clear();

        Files.writeString(file, service("web", 81));
        Files.setLastModifiedTime(file, pinned);
        driven.scan(Set.of(), true);

        assertThat(driven.reconciler.changes).extracting(RecordingReconciler.Change::key).containsExactly(serviceKey("web"));
        assertThat(driven.writer.store().get(serviceKey("web"), Service.class).getSpec().getPorts().getFirst()
                .getPort()).isEqualTo(81);
    }

    @Test
    void aDeletedFileNamedByANotificationDeletesItsObjectsAndUncoversAShadowedDefinition() throws IOException {
        write(dir, "a.yaml", service("web", 80));
        write(dir, "b.yaml", service("web", 81) + "---\n" + service("api", 80));
        Driven driven = new Driven(dir);
        driven.scan(Set.of(), true);
        assertThat(driven.source.problems()).singleElement()
                .satisfies(p -> assertThat(p.file()).isEqualTo(dir.resolve("b.yaml")));

        Files.delete(dir.resolve("a.yaml"));
        driven.scan(Set.of(dir.resolve("a.yaml")), false);

        assertThat(driven.writer.store().get(serviceKey("web"), Service.class).getSpec().getPorts().getFirst()
                .getPort()).isEqualTo(81);
        assertThat(driven.source.problems()).isEmpty();

        Files.delete(dir.resolve("b.yaml"));
        driven.scan(Set.of(dir.resolve("b.yaml")), false);
        assertThat(driven.writer.store().size(ResourceKind.SERVICE)).isZero();
        assertThat(driven.source.snapshot(ResourceKind.SERVICE)).isEmpty();
    }

    @Test
    void anObjectMovedToAFileOfALaterChunkOfTheSameScanIsNeverDeletedOnTheWay() throws IOException {
        int fileCount = ManifestDirectorySource.LATER_SCAN_CHUNK + 4;
        for (int i = 0; i < fileCount; i++) {
            write(dir, "f%02d.yaml".formatted(i), service("s-" + i, 80) + (i == 0 ? "---\n" + service("moved", 80) : ""));
        }
        ManifestDirectorySource source = new ManifestDirectorySource(dir, Duration.ofHours(1), new AgentMetrics(), false);
        EventQueue queue = new EventQueue(256, new AgentMetrics());
        source.scanOnce(queue.channel(source.name()), Set.of(), true);
        queue.drain(e -> { }, queue.capacity());

        Set<Path> touched = new HashSet<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < fileCount; i++) {
            Path file = dir.resolve("f%02d.yaml".formatted(i));
            touched.add(file);
            if (i == 5) {
                Files.delete(file);
                continue;
            }
            write(dir, file.getFileName().toString(),
                    service("s-" + i, 81) + (i == fileCount - 1 ? "---\n" + service("moved", 80) : ""));
            expected.add("update s-" + i);
        }
        expected.add("delete s-5");
        source.scanOnce(queue.channel(source.name()), touched, false);
        List<String> events = new ArrayList<>();
        queue.drain(e -> events.add((e.deleted() ? "delete " : "update ") + e.object().getMetadata().getName()),
                queue.capacity());

        // The scan publishes chunk by chunk; "moved" left the first chunk's file and is back, unchanged, in the last
        // chunk's, so it is neither deleted nor updated. The deletion comes once every file is read.
        assertThat(events).containsExactlyElementsOf(expected);
        assertThat(source.snapshot(ResourceKind.SERVICE)).extracting(o -> o.getMetadata().getName()).contains("moved");
    }

    /**
     * One step: a file written with some Services (or malformed), or deleted; then scanned, in one of two ways. The
     * Services repeat across steps, files and positions, after {@code commentLines} lines of comment: documents
     * whose text was read before, at other lines.
     */
    record Step(String file, List<Map.Entry<String, Integer>> services, boolean malformed, boolean delete,
                boolean fullScan, int commentLines) {
        String yaml() {
            if (malformed) {
                return "apiVersion: v1\nkind: Service\nmetadata: {name: broken\n";
            }
            return "# generated\n".repeat(commentLines)
                    + services.stream().map(s -> service(s.getKey(), s.getValue())).collect(Collectors.joining("---\n"));
        }
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Map.Entry<String, Integer>> services = Combinators.combine(Arbitraries.of(NAMES),
                Arbitraries.integers().between(80, 82)).as(Map::entry);
        return Combinators.combine(Arbitraries.of(FILES), services.list().ofMaxSize(3),
                        Arbitraries.integers().between(0, 9), Arbitraries.of(true, false), Arbitraries.integers().between(0, 2))
                .as((file, list, dice, full, comments) -> new Step(file, list, dice == 0, dice == 1 || dice == 2, full,
                        comments))
                .list().ofMinSize(1).ofMaxSize(25);
    }

    @Test
    void eachKindsSnapshotHoldsThePublishedObjectsOfThatKindWhicheverKindIsAskedForFirst(@TempDir Path dir)
            throws IOException {
        String namespace = """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: team
                """;
        write(dir, "a.yaml", service("web", 80) + "---\n" + namespace);
        write(dir, "b.yaml", service("api", 80));
        Driven driven = new Driven(dir);
        driven.scan(Set.of(), true);
        assertThat(names(driven.source.snapshot(ResourceKind.NAMESPACE))).containsExactly("team");
        assertThat(portsOf(driven.source.snapshot(ResourceKind.SERVICE))).isEqualTo(Map.of("api", 80, "web", 80));
        assertThat(driven.source.snapshot(ResourceKind.POD)).isEmpty();

        write(dir, "b.yaml", service("api", 81));
        driven.scan(Set.of(dir.resolve("b.yaml")), false);
        assertThat(portsOf(driven.source.snapshot(ResourceKind.SERVICE))).isEqualTo(Map.of("api", 81, "web", 80));
        assertThat(names(driven.source.snapshot(ResourceKind.NAMESPACE))).containsExactly("team");

        Files.delete(dir.resolve("a.yaml"));
        driven.scan(Set.of(dir.resolve("a.yaml")), false);
        assertThat(driven.source.snapshot(ResourceKind.NAMESPACE)).isEmpty();
        assertThat(portsOf(driven.source.snapshot(ResourceKind.SERVICE))).isEqualTo(Map.of("api", 81));
    }

    private static List<String> names(java.util.Collection<? extends HasMetadata> objects) {
        return objects.stream().map(o -> o.getMetadata().getName()).toList();
    }

    /** A file with a character beyond ASCII reads as an ASCII one does, and its problems are reported alike. */
    @Test
    void aFileBeyondAsciiIsReadAsAnAsciiOneIs(@TempDir Path dir) throws IOException {
        String owned = service("web", 80).replace("metadata:\n", "metadata:\n  annotations: {owner: Jos\u00e9 \u2603}\n");
        write(dir, "a.yaml", owned + "---\n" + service("api", 81));
        write(dir, "b.yaml", service("db", 82) + "---\n" + service("cache", 83));
        Driven driven = new Driven(dir);
        driven.scan(Set.of(), true);
        assertThat(driven.source.problems()).isEmpty();
        assertThat(portsOf(driven.source.snapshot(ResourceKind.SERVICE)))
                .isEqualTo(Map.of("web", 80, "api", 81, "db", 82, "cache", 83));
        assertThat(driven.source.snapshot(ResourceKind.SERVICE)).filteredOn(o -> o.getMetadata().getName().equals("web"))
                .singleElement().satisfies(o -> assertThat(o.getMetadata().getAnnotations()).containsEntry("owner", "Jos\u00e9 \u2603"));

        write(dir, "a.yaml", owned + "---\n" + service("api", 81).replace("port: 81", "port: eighty-one"));
        write(dir, "b.yaml", service("db", 82) + "---\n" + service("cache", 83).replace("port: 83", "port: eighty-three"));
        driven.scan(Set.of(dir.resolve("a.yaml"), dir.resolve("b.yaml")), false);
        // Each at its port's line: the second document's eighth line, after a first of ten lines (nine in b.yaml).
        assertThat(driven.source.problems()).extracting(ManifestProblem::line).containsExactly(19, 18);
    }

    @Test
    void onlyRegularFilesAreReadAndAManifestThatStopsBeingOneIsDeleted(@TempDir Path dir) throws IOException {
        Files.createDirectory(dir.resolve("folder.yaml"));
        Files.createSymbolicLink(dir.resolve("dangling.yaml"), dir.resolve("nowhere.yaml"));
        write(dir, "web.yaml", service("web", 80));
        write(dir, "api.yaml", service("api", 80));
        Driven driven = new Driven(dir);
        driven.scan(Set.of(), true);
        assertThat(driven.source.problems()).isEmpty();
        assertThat(portsOf(driven.source.snapshot(ResourceKind.SERVICE))).isEqualTo(Map.of("api", 80, "web", 80));

        Files.delete(dir.resolve("web.yaml"));
        Files.createDirectory(dir.resolve("web.yaml"));
        driven.scan(Set.of(dir.resolve("web.yaml")), false);
        assertThat(portsOf(driven.source.snapshot(ResourceKind.SERVICE))).as("a notified file that became a folder")
                .isEqualTo(Map.of("api", 80));

        Files.delete(dir.resolve("api.yaml"));
        Files.createSymbolicLink(dir.resolve("api.yaml"), dir.resolve("nowhere.yaml"));
        driven.scan(Set.of(), true);
        assertThat(driven.source.snapshot(ResourceKind.SERVICE)).as("a file that became a dangling link, found by a full scan")
                .isEmpty();
        assertThat(driven.writer.store().list(ResourceKind.SERVICE)).isEmpty();
    }

    /**
     * A file's documents are split at their separators and counted in lines alike whatever ends its lines (LF, CRLF, a
     * lone CR, mixed): each Service is read, and a document's problem is reported at its first line of content.
     */
    @Property(tries = 100)
    void documentsAndTheirLinesAreFoundWhateverEndsTheLines(@ForAll @IntRange(min = 1, max = 5) int services,
                                                            @ForAll @IntRange(min = 0, max = 5) int anonymousAt,
                                                            @ForAll("lineEnds") List<String> lineEnds) throws IOException {
        Path folder = Files.createTempDirectory("sluice-manifests-");
        try {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < services; i++) {
                if (i > 0) {
                    lines.add("---");
                }
                lines.addAll(List.of(service("s" + i, 80 + i).split("\n")));
            }
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                text.append(lines.get(i)).append(lineEnds.get(i % lineEnds.size()));
            }
            write(folder, "all.yaml", text.toString());
            Driven driven = new Driven(folder);
            driven.scan(Set.of(), true);
            Map<String, Integer> expected = new TreeMap<>();
            for (int i = 0; i < services; i++) {
                expected.put("s" + i, 80 + i);
            }
            assertThat(driven.source.problems()).isEmpty();
            assertThat(portsOf(driven.source.snapshot(ResourceKind.SERVICE))).isEqualTo(expected);

            // The same with a nameless Namespace (a problem) as document anonymousAt (at most the last).
            int at = Math.min(anonymousAt, services);
            List<String> withProblem = new ArrayList<>(lines);
            List<String> anonymous = List.of("# no name", "apiVersion: v1", "kind: Namespace", "metadata:", "  labels: {a: b}");
            int insertAt;
            if (at == services) {
                insertAt = withProblem.size();
                withProblem.add("---");
                withProblem.addAll(anonymous);
            } else {
                insertAt = at == 0 ? 0 : indexOfNth(withProblem, "---", at) + 1;
                withProblem.addAll(insertAt, anonymous);
                withProblem.add(insertAt + anonymous.size(), "---");
            }
            // The problem is reported at the Namespace's first line after its comment (lines count from 1).
            int contentLine = withProblem.subList(insertAt, withProblem.size()).indexOf("apiVersion: v1") + insertAt + 1;
            StringBuilder broken = new StringBuilder();
            for (int i = 0; i < withProblem.size(); i++) {
                broken.append(withProblem.get(i)).append(lineEnds.get(i % lineEnds.size()));
            }
            write(folder, "all.yaml", broken.toString());
            driven.scan(Set.of(folder.resolve("all.yaml")), false);
            assertThat(driven.source.problems()).singleElement().satisfies(p -> {
                assertThat(p.line()).as(broken.toString()).isEqualTo(contentLine);
                assertThat(p.reason()).isEqualTo("Namespace has no metadata.name");
            });
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** The index of the {@code n}th (1-based) {@code line} in {@code lines}. */
    private static int indexOfNth(List<String> lines, String line, int n) {
        for (int i = 0, seen = 0; i < lines.size(); i++) {
            if (lines.get(i).equals(line) && ++seen == n) {
                return i;
            }
        }
        throw new IllegalArgumentException("fewer than " + n + " lines " + line);
    }

    @Provide
    Arbitrary<List<String>> lineEnds() {
        return Arbitraries.of("\n", "\r\n", "\r").list().ofMinSize(1).ofMaxSize(4);
    }

    @Property(tries = 60)
    void anySequenceOfWritesAndDeletesEndsWhereAFreshFullScanStarts(@ForAll("steps") List<Step> steps)
            throws IOException {
        Path folder = Files.createTempDirectory("sluice-manifests-");
        try {
            Driven incremental = new Driven(folder);
            incremental.scan(Set.of(), true);
            Set<String> malformed = new HashSet<>();
            for (Step step : steps) {
                Path file = folder.resolve(step.file());
                if (step.delete()) {
                    Files.deleteIfExists(file);
                    malformed.remove(step.file());
                } else {
                    write(folder, step.file(), step.yaml());
                    if (step.malformed()) {
                        malformed.add(step.file());
                    } else {
                        malformed.remove(step.file());
                    }
                }
                incremental.scan(Set.of(file, folder.resolve("." + step.file() + ".tmp")), step.fullScan());
            }
            // A malformed file keeps its last good objects, which a fresh scan never saw: fix them first.
            for (String file : malformed) {
                write(folder, file, service("web", 80));
                incremental.scan(Set.of(folder.resolve(file)), false);
            }

            Driven fresh = new Driven(folder);
            fresh.scan(Set.of(), true);

            Map<String, Integer> expected = portsOf(fresh.source.snapshot(ResourceKind.SERVICE));
            assertThat(portsOf(incremental.source.snapshot(ResourceKind.SERVICE))).isEqualTo(expected);
            assertThat(portsOf(incremental.writer.store().list(ResourceKind.SERVICE)))
                    .as("the published events replayed").isEqualTo(expected);
            assertThat(incremental.source.problems()).isEqualTo(fresh.source.problems());
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static Map<String, Integer> portsOf(java.util.Collection<? extends HasMetadata> services) {
        Map<String, Integer> ports = new TreeMap<>();
        for (HasMetadata object : services) {
            ports.put(object.getMetadata().getName(),
                    ((Service) object).getSpec().getPorts().getFirst().getPort());
        }
        return ports;
    }
}
