package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How long the binder takes per manifest document, cold (the first 20,000 documents in a fresh JVM, as at the
 * agent's start) and warm (later rounds over the same documents, as under churn). Figures are printed, never
 * asserted, with the bytes allocated per document when warm. Run alone in its own JVM:
 * {@code -Dsluice.bench=true -Dtest=ManifestDocumentBinderBenchmark}; size with {@code -Dsluice.bench.documents=N},
 * warm rounds with {@code -Dsluice.bench.rounds=N}, {@code -Dsluice.bench.libyaml=false} for snakeyaml-engine alone;
 * {@code -Dsluice.bench.binder=compact} times {@link CompactServiceBinder} instead, {@code usual+compact} the binder
 * followed by {@link ModelCompactor#compact} (what the manifest source did before it).
 */
@EnabledIfSystemProperty(named = "sluice.bench", matches = "true")
class ManifestDocumentBinderBenchmark {
    @Test
    void bindsManifestDocuments() throws IOException {
        int documents = Integer.getInteger("sluice.bench.documents", 20_000);
        int rounds = Integer.getInteger("sluice.bench.rounds", 7);
        List<String> texts = manifests(documents);

        boolean libYaml = LibYamlParser.available()
                && Boolean.parseBoolean(System.getProperty("sluice.bench.libyaml", "true"));
        String mode = System.getProperty("sluice.bench.binder", "usual");
        long start = System.nanoTime();
        ManifestDocumentBinder binder = mode.equals("compact") ? null : new ManifestDocumentBinder(libYaml);
        ToIntFunction<String> bind = switch (mode) {
            case "compact" -> text -> CompactServiceBinder.bind(text) == null ? 0 : 1;
            case "usual+compact" -> text -> {
                List<?> bound = binder.objectsOf(text);
                bound.forEach(ModelCompactor::compact);
                return bound.size();
            };
            default -> text -> binder.objectsOf(text).size();
        };
        int objects = bindAll(bind, texts);
        double coldMillis = (System.nanoTime() - start) / 1e6;
        assertThat(objects).as("every document holds one watched object").isEqualTo(documents);

        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        double[] warmMicros = new double[rounds];
        long allocated = 0;
        for (int r = 0; r < rounds; r++) {
            long bytes = threads.getThreadAllocatedBytes(thread);
            long t = System.nanoTime();
            bindAll(bind, texts);
            warmMicros[r] = (System.nanoTime() - t) / 1e3 / documents;
            allocated = threads.getThreadAllocatedBytes(thread) - bytes;
        }
        Arrays.sort(warmMicros);
        System.out.printf("binder bench (%s, %s): %d documents, cold %.0f ms (%.1f us/doc), warm median %.1f us/doc"
                        + " (min %.1f, max %.1f) over %d rounds, %.0f bytes/doc allocated; loadavg %s%n",
                mode, libYaml ? "LibYAML" : "snakeyaml-engine", documents, coldMillis, coldMillis * 1e3 / documents,
                warmMicros[rounds / 2], warmMicros[0], warmMicros[rounds - 1], rounds, (double) allocated / documents,
                Files.readString(Path.of("/proc/loadavg")).strip());
    }

    private static int bindAll(ToIntFunction<String> bind, List<String> texts) {
        int objects = 0;
        for (String text : texts) {
            objects += bind.applyAsInt(text);
        }
        return objects;
    }

    /** Half Services, half their EndpointSlices, in the block style kubectl and fabric8 write. */
    private static List<String> manifests(int count) {
        List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = i / 2;
            texts.add(i % 2 == 0 ? """
                    apiVersion: v1
                    kind: Service
                    metadata:
                      name: svc-%d
                      namespace: bench
                      labels:
                        app: svc-%d
                    spec:
                      type: ClusterIP
                      clusterIP: 10.96.%d.%d
                      selector:
                        app: svc-%d
                      ports:
                      - name: http
                        port: 80
                        protocol: TCP
                        targetPort: 8080
                    """.formatted(n, n, n / 250, n % 250 + 1, n) : """
                    apiVersion: discovery.k8s.io/v1
                    kind: EndpointSlice
                    metadata:
                      name: svc-%d-1
                      namespace: bench
                      labels:
                        kubernetes.io/service-name: svc-%d
                    addressType: IPv4
                    ports:
                    - name: http
                      port: 8080
                      protocol: TCP
                    endpoints:
                    - addresses: [10.1.%d.%d]
                      conditions: {ready: true, serving: true, terminating: false}
                      nodeName: node-1
                    - addresses: [10.2.%d.%d]
                      conditions: {ready: true}
                      nodeName: node-2
                    """.formatted(n, n, n / 250, n % 250 + 1, n / 250, n % 250 + 1));
        }
        return texts;
    }
}
