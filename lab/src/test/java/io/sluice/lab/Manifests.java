package io.sluice.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test manifests: YAML written into a directory and read back as a {@link ManifestSet}. */
final class Manifests {
    private Manifests() {
    }

    static ManifestSet of(Path dir, String... documents) {
        try {
            Files.writeString(dir.resolve("test.yaml"), String.join("---\n", documents));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ManifestSet.read(dir);
    }

    /** A pod of namespace {@code ns} with labels {@code app: <app>} and the given extra spec and status lines. */
    static String pod(String ns, String name, String app, String specExtra, String status) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  labels:
                    app: %s
                spec:
                  %s
                  containers:
                    - name: c
                      image: agnhost
                      ports:
                        - name: http
                          containerPort: 8080
                        - containerPort: 53
                          protocol: UDP
                %s
                """.formatted(name, ns, app, specExtra, status);
    }

    static String pod(String ns, String name, String app) {
        return pod(ns, name, app, "", "");
    }

    static String service(String ns, String name, String app, String specExtra) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  selector:
                    app: %s
                  %s
                """.formatted(name, ns, app, specExtra);
    }
}
