package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.sluice.agent.event.EventQueue;
import io.sluice.agent.metrics.AgentMetrics;
import io.sluice.agent.model.ObjectKey;
import io.sluice.agent.model.ResourceKind;
import io.sluice.agent.testsupport.Await;
import io.sluice.agent.testsupport.RecordingReconciler;
import io.sluice.agent.writer.StateWriter;
import io.sluice.agent.writer.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest directory as a source: files added, changed, deleted, malformed; the writer on the test thread. */
class ManifestDirectorySourceTest {
    private static final ObjectKey WEB = new ObjectKey(ResourceKind.SERVICE, "default", "web");
    private static final ObjectKey WEB_SLICE = new ObjectKey(ResourceKind.ENDPOINT_SLICE, "default", "web-1");
    private static final ObjectKey API = new ObjectKey(ResourceKind.SERVICE, "shop", "api");

    @TempDir
    Path dir;

    private final AgentMetrics metrics = new AgentMetrics();
    private final RecordingReconciler reconciler = new RecordingReconciler();
    private ManifestDirectorySource source;
    private StateWriter writer;

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
    }

    private void start(boolean watch) {
        source = new ManifestDirectorySource(dir, Duration.ofMillis(100), metrics, watch);
        writer = new StateWriter(new EventQueue(4096, metrics), List.of(source), List.of(reconciler), metrics);
        source.start(writer.channelOf(source));
        runWriterUntil(() -> writer.status().ready(), "the first scan");
    }

    private void runWriterUntil(BooleanSupplier condition, String what) {
        Await.until(() -> {
            writer.doWork();
            return condition.getAsBoolean();
        }, () -> what + "; problems " + source.problems() + "; changes " + reconciler.changes);
    }

    private Store store() {
        return writer.store();
    }

    /** Writes a file the way tools should: a hidden temporary file renamed into place, so no scan sees half of it. */
    private void write(String name, String yaml) throws IOException {
        Path tmp = dir.resolve("." + name + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String service(String namespace, String name, int port) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  clusterIP: 10.96.0.10
                  ports:
                  - name: http
                    port: %d
                    protocol: TCP
                """.formatted(name, namespace, port);
    }

    private static String slice(String name, String service, String address) {
        return """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %s
                  labels:
                    kubernetes.io/service-name: %s
                addressType: IPv4
                endpoints:
                - addresses: ["%s"]
                  conditions: {ready: true}
                ports:
                - name: http
                  port: 8080
                  protocol: TCP
                """.formatted(name, service, address);
    }

    private String addressOfWebSlice() {
        EndpointSlice s = store().get(WEB_SLICE, EndpointSlice.class);
        return s == null ? null : s.getEndpoints().getFirst().getAddresses().getFirst();
    }

    @Test
    void addingChangingAndDeletingFilesAddsUpdatesAndDeletesJustTheirObjects() throws IOException {
        write("api.yaml", service("shop", "api", 80));
        start(true);
        assertThat(store().get(API)).isNotNull();

        write("web.yaml", service("default", "web", 80) + "---\n" + slice("web-1", "web", "10.0.0.5"));
        runWriterUntil(() -> store().get(WEB) != null && "10.0.0.5".equals(addressOfWebSlice()), "web and its slice");
        assertThat(store().endpointSlicesOf("default", "web")).hasSize(1);

        reconciler.changes.clear();
        write("web.yaml", service("default", "web", 80) + "---\n" + slice("web-1", "web", "10.0.0.6"));
        runWriterUntil(() -> "10.0.0.6".equals(addressOfWebSlice()), "the slice's new address");
        assertThat(reconciler.changes).extracting(RecordingReconciler.Change::key).containsExactly(WEB_SLICE);

        reconciler.changes.clear();
        Files.delete(dir.resolve("web.yaml"));
        runWriterUntil(() -> store().get(WEB) == null && store().get(WEB_SLICE) == null, "web's objects deleted");
        assertThat(reconciler.changes).extracting(RecordingReconciler.Change::key)
                .containsExactlyInAnyOrder(WEB, WEB_SLICE);
        assertThat(store().get(API)).isNotNull();
    }

    @Test
    void aRewrittenSlicesUnmovedEndpointsAreThePublishedVersionsAndThatVersionIsLeftAsItWas() throws IOException {
        // Hostnames keep the endpoints fabric8's (a packed slice has no endpoint objects to share).
        String twoEndpoints = """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                endpoints:
                - {addresses: [10.0.0.5], hostname: a, conditions: {ready: true}}
                - {addresses: ["%s"], hostname: b, conditions: {ready: true}}
                """;
        write("web.yaml", service("default", "web", 80) + "---\n" + twoEndpoints.formatted("10.0.0.7"));
        start(true);
        EndpointSlice first = store().get(WEB_SLICE, EndpointSlice.class);
        assertThat(first.getEndpoints()).hasSize(2);
        String firstVersion = first.getMetadata().getResourceVersion();

        write("web.yaml", service("default", "web", 80) + "---\n" + twoEndpoints.formatted("10.0.0.8"));
        runWriterUntil(() -> store().get(WEB_SLICE, EndpointSlice.class) != first, "the slice's new version");

        EndpointSlice second = store().get(WEB_SLICE, EndpointSlice.class);
        assertThat(second.getEndpoints()).extracting(e -> e.getAddresses().getFirst()).containsExactly("10.0.0.5", "10.0.0.8");
        assertThat(second.getEndpoints().getFirst()).as("the endpoint that stayed").isSameAs(first.getEndpoints().getFirst());
        assertThat(first.getEndpoints()).extracting(e -> e.getAddresses().getFirst()).containsExactly("10.0.0.5", "10.0.0.7");
        assertThat(first.getMetadata().getResourceVersion()).isEqualTo(firstVersion)
                .isNotEqualTo(second.getMetadata().getResourceVersion());
        assertThat(store().endpointSlicesOf("default", "web")).containsExactly(second);
    }

    @Test
    void aRewriteInPlaceThatLeavesTheFileAttributesAsTheyWereIsAppliedFromItsNotification() throws IOException {
        // With notifications complete the 100 ms comparisons do not reread a file read while its timestamp was
        // recent (under churn that reread was most of the parsing): a rewrite within one timestamp step, in place and
        // of the same size, must then come through its notification. The timestamp is pinned to make that exact.
        Path file = dir.resolve("api.yaml");
        FileTime pinned = FileTime.fromMillis(System.currentTimeMillis() + 60_000);
        Files.writeString(file, service("shop", "api", 80));
        Files.setLastModifiedTime(file, pinned);
        start(true);
        assertThat(portOfApi()).isEqualTo(80);

        Files.writeString(file, service("shop", "api", 81));
        Files.setLastModifiedTime(file, pinned);
        runWriterUntil(() -> portOfApi() == 81, "api's new port");
    }

    private int portOfApi() {
        return ((Service) store().get(API)).getSpec().getPorts().getFirst().getPort();
    }

    @Test
    void aFileRenamedOrReplacedByARenameNeverDeletesItsObjectsOnTheWay() throws IOException {
        write("a.yaml", service("default", "web", 80) + "---\n" + slice("web-1", "web", "10.0.0.5"));
        start(true);
        assertThat(store().get(WEB)).isNotNull();
        reconciler.changes.clear();

        // A rename is two notifications (the old name gone, the new one created): the old name's deletion waits
        // for the new name, which defines the same objects, so neither is ever deleted. A rename over the file
        // (the new content complete) is read at once.
        String[] names = {"a.yaml", "b.yaml", "c.yml", "d.yaml"};
        for (int i = 1; i < names.length; i++) {
            Files.move(dir.resolve(names[i - 1]), dir.resolve(names[i]), StandardCopyOption.ATOMIC_MOVE);
            String address = "10.0.0." + (10 + i);
            write(names[i], service("default", "web", 80) + "---\n" + slice("web-1", "web", address));
            runWriterUntil(() -> address.equals(addressOfWebSlice()), "the slice at " + address + " in " + names[i]);
        }

        assertThat(reconciler.changes).extracting(RecordingReconciler.Change::key).containsOnly(WEB_SLICE);
        assertThat(reconciler.changes).allSatisfy(c -> assertThat(c.object()).as("%s deleted on the way", c.key()).isNotNull());
        assertThat(store().get(WEB)).isNotNull();
    }

    @Test
    void aMalformedFileIsReportedWithFileAndLineAndSkippedWhileTheRestApplies() throws IOException {
        write("api.yaml", service("shop", "api", 80));
        // Line 9 opens a flow sequence that never closes.
        write("broken.yaml", service("default", "web", 80) + "---\n"
                + "apiVersion: v1\nkind: Service\nmetadata: {name: other, labels: [a, b\n");
        start(true);

        assertThat(store().get(API)).isNotNull();
        assertThat(store().get(WEB)).as("the valid document of a malformed file is skipped too").isNull();
        assertThat(source.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo(dir.resolve("broken.yaml"));
            assertThat(p.line()).isBetween(15, 16); // the open bracket's line, or the end of input after it
            assertThat(p.reason()).contains("flow sequence").contains("expected ',' or ']'");
            assertThat(p.toString()).startsWith(dir.resolve("broken.yaml") + ":" + p.line() + ": ");
        });

        write("broken.yaml", service("default", "web", 80));
        runWriterUntil(() -> store().get(WEB) != null, "the fixed file's service");
        assertThat(source.problems()).isEmpty();
    }

    @Test
    void aFieldOfTheWrongTypeIsReportedAtItsLine() throws IOException {
        write("bad-port.yaml", service("default", "web", 80).replace("port: 80", "port: eighty"));
        start(true);

        assertThat(source.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo(dir.resolve("bad-port.yaml"));
            assertThat(p.line()).isEqualTo(10);
            assertThat(p.reason()).contains("eighty");
        });
        assertThat(store().get(WEB)).isNull();
    }

    @Test
    void anObjectWithoutANameIsReportedAtItsDocument() throws IOException {
        write("anonymous.yaml", service("default", "web", 80) + "---\n# a comment first\n"
                + "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {team: a}\n");
        start(true);

        assertThat(source.problems()).singleElement().satisfies(p -> {
            assertThat(p.line()).as("the document's first line after comments").isEqualTo(14);
            assertThat(p.reason()).isEqualTo("Namespace has no metadata.name");
        });
    }

    @Test
    void aFileThatBecomesMalformedKeepsItsLastGoodObjectsUntilFixedOrDeleted() throws IOException {
        write("web.yaml", service("default", "web", 80));
        start(true);
        assertThat(store().get(WEB)).isNotNull();
        reconciler.changes.clear();

        long scans = source.scans();
        write("web.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web\n");
        runWriterUntil(() -> !source.problems().isEmpty() && source.scans() > scans, "the problem reported");
        assertThat(store().get(WEB)).isNotNull();
        assertThat(reconciler.changes).isEmpty();

        Files.delete(dir.resolve("web.yaml"));
        runWriterUntil(() -> store().get(WEB) == null, "the deleted file's service gone");
        assertThat(source.problems()).isEmpty();
    }

    @Test
    void listsAndUnwatchedKindsAndMissingNamespacesAreHandledLikeAnApiServerWould() throws IOException {
        write("mixed.yaml", """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: Namespace
                  metadata: {name: shop}
                - apiVersion: v1
                  kind: ConfigMap
                  metadata: {name: settings}
                  data: {a: b}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: web, image: nginx}]}
                ---
                """ + service("default", "web", 80).replace("  namespace: default\n", ""));
        start(true);

        assertThat(source.problems()).isEmpty();
        assertThat(store().get(new ObjectKey(ResourceKind.NAMESPACE, "", "shop"))).isNotNull();
        assertThat(store().get(WEB, Service.class).getMetadata().getNamespace()).isEqualTo("default");
        assertThat(store().size(ResourceKind.SERVICE)).isEqualTo(1);
    }

    @Test
    void anObjectDefinedInTwoFilesIsTakenFromTheFirstAndReported() throws IOException {
        write("a.yaml", service("default", "web", 80));
        write("b.yaml", service("default", "web", 81) + "---\n" + service("shop", "api", 80));
        start(true);

        assertThat(store().get(WEB, Service.class).getSpec().getPorts().getFirst().getPort()).isEqualTo(80);
        assertThat(store().get(API)).isNotNull();
        assertThat(source.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo(dir.resolve("b.yaml"));
            assertThat(p.line()).isEqualTo(1);
            assertThat(p.reason()).contains("Service default/web").contains(dir.resolve("a.yaml") + ":1");
        });

        Files.delete(dir.resolve("a.yaml"));
        runWriterUntil(() -> store().get(WEB, Service.class) != null
                && store().get(WEB, Service.class).getSpec().getPorts().getFirst().getPort() == 81, "b's web");
        assertThat(source.problems()).isEmpty();
    }

    @Test
    void withoutChangeNotificationsPollingFindsChanges() throws IOException {
        start(false);
        assertThat(store().size(ResourceKind.SERVICE)).isZero();

        write("web.yaml", service("default", "web", 80));
        runWriterUntil(() -> store().get(WEB) != null, "the service found by polling");

        reconciler.changes.clear();
        long scans = source.scans();
        runWriterUntil(() -> source.scans() > scans + 2, "more polls");
        assertThat(reconciler.changes).as("rescanning unchanged files changes nothing").isEmpty();
    }

    @Test
    void aConfigMapMountUpdatedBySwappingItsDataLinkIsFoundByThePeriodicComparison() throws IOException {
        // How the kubelet updates a ConfigMap volume: the keys are links through ..data to a timestamped directory,
        // and an update writes a new directory and renames a new ..data link over the old one. The notifications
        // name only the hidden ..data entries, so the change is found by comparing the files' attributes.
        Path first = Files.createDirectory(dir.resolve("..2026_11_29_10_00_00.1"));
        Files.writeString(first.resolve("web.yaml"), service("default", "web", 80));
        Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
        Files.createSymbolicLink(dir.resolve("web.yaml"), Path.of("..data", "web.yaml"));
        start(true);
        assertThat(store().get(WEB, Service.class).getSpec().getPorts().getFirst().getPort()).isEqualTo(80);

        Path second = Files.createDirectory(dir.resolve("..2026_11_29_10_05_00.2"));
        Files.writeString(second.resolve("web.yaml"), service("default", "web", 81));
        Files.createSymbolicLink(dir.resolve("..data_tmp"), second.getFileName());
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

        runWriterUntil(() -> store().get(WEB, Service.class).getSpec().getPorts().getFirst().getPort() == 81,
                "the port behind the swapped link");
        assertThat(source.problems()).isEmpty();
    }

    @Test
    void aFileThatAppearsOrDisappearsBehindALinkIsAddedOrDeletedByThePeriodicComparison() throws IOException {
        // A link into another folder changes with nothing notified in this one.
        Path elsewhere = Files.createDirectory(dir.resolve(".elsewhere"));
        Files.createSymbolicLink(dir.resolve("web.yaml"), elsewhere.resolve("web.yaml"));
        start(true);
        assertThat(store().get(WEB)).isNull();

        Files.writeString(elsewhere.resolve("web.yaml"), service("default", "web", 80));
        runWriterUntil(() -> store().get(WEB) != null, "the service behind the link");

        Files.delete(elsewhere.resolve("web.yaml"));
        runWriterUntil(() -> store().get(WEB) == null, "the service gone behind the link");
    }

    @Test
    void aFileReplacedWithTheSameSizeAndTimeIsFoundByItsInode() throws IOException {
        write("web.yaml", service("default", "web", 80));
        start(false);
        assertThat(store().get(WEB, Service.class).getSpec().getPorts().getFirst().getPort()).isEqualTo(80);

        // What a busy folder does within one tick of the file system's clock: same size, same time, new file.
        Path tmp = dir.resolve(".web.yaml.tmp");
        Files.writeString(tmp, service("default", "web", 81));
        Files.setLastModifiedTime(tmp, Files.getLastModifiedTime(dir.resolve("web.yaml")));
        assertThat(Files.size(tmp)).isEqualTo(Files.size(dir.resolve("web.yaml")));
        Files.move(tmp, dir.resolve("web.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        runWriterUntil(() -> store().get(WEB, Service.class).getSpec().getPorts().getFirst().getPort() == 81,
                "the replaced file's port");
    }

    @Test
    void aFirstScanReadInChunksAppliesTheSameRulesAsOneRead() throws IOException {
        int fileCount = ManifestDirectorySource.FIRST_SCAN_CHUNK + 100;
        for (int i = 0; i < fileCount; i++) {
            // The last file redefines the first file's Service: the two lie in different chunks.
            String name = i == fileCount - 1 ? "s-0" : "s-" + i;
            write("svc-%04d.yaml".formatted(i), service("default", name, i == fileCount - 1 ? 81 : 80));
        }
        start(true);

        assertThat(store().size(ResourceKind.SERVICE)).isEqualTo(fileCount - 1);
        ObjectKey first = new ObjectKey(ResourceKind.SERVICE, "default", "s-0");
        assertThat(store().get(first, Service.class).getSpec().getPorts().getFirst().getPort()).isEqualTo(80);
        assertThat(source.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo(dir.resolve("svc-%04d.yaml".formatted(fileCount - 1)));
            assertThat(p.reason()).contains(dir.resolve("svc-0000.yaml") + ":1");
        });
    }
}
