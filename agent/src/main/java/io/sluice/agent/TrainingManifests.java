package io.sluice.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The objects {@code sluice aot-train} starts its agent on: Services with their EndpointSlices, and for the API
 * training also Namespaces, Pods and NetworkPolicies, in the shapes a node reads (block and flow style, one Service
 * and its slice a file, as the scale benchmark writes them, and files of many documents), so every parse and bind
 * path runs often.
 */
final class TrainingManifests {
    static final String NAMESPACE = "aot-training";
    static final int ENDPOINTS = 10;
    private static final int NAMESPACES = 4;
    private static final int PODS = 64;

    private TrainingManifests() {
    }

    /**
     * Writes {@code services} Services with {@value #ENDPOINTS} endpoints each into {@code dir}, one file each: what a
     * manifest folder at scale holds (the scale benchmark's, a node's static Services). The policy objects are the API
     * training's: on a manifest start they would put the Pod model's whole class graph (Jackson's binders of
     * containers, volumes, probes, ...) into a cache whose every class the JVM loads at start.
     */
    static void write(Path dir, int services) {
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, String> file : files(services, false).entrySet()) {
                Files.writeString(dir.resolve(file.getKey()), file.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the training manifests under " + dir, e);
        }
    }

    /**
     * The training objects as YAML files, by name: {@code services} Services and their EndpointSlices, with
     * {@code policyObjects} also Namespaces, Pods (half of them on the training node) and NetworkPolicies first.
     */
    static Map<String, String> files(int services, boolean policyObjects) {
        Map<String, String> files = new LinkedHashMap<>();
        if (policyObjects) {
            policyFiles(files);
        }
        for (int s = 0; s < services; s++) {
            files.put(serviceFile(s), service(s, 0));
        }
        return files;
    }

    private static void policyFiles(Map<String, String> files) {
        StringBuilder namespaces = new StringBuilder();
        for (int n = 0; n < NAMESPACES; n++) {
            namespaces.append("""
                    apiVersion: v1
                    kind: Namespace
                    metadata:
                      name: %s
                      labels:
                        kubernetes.io/metadata.name: %s
                        team: team-%d
                    ---
                    """.formatted(namespace(n), namespace(n), n % 2));
        }
        files.put("00-namespaces.yaml", namespaces.toString());
        StringBuilder pods = new StringBuilder();
        for (int p = 0; p < PODS; p++) {
            pods.append("""
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: web-%d
                      namespace: %s
                      labels:
                        app: web
                        pod: web-%d
                    spec:
                      nodeName: %s
                      containers:
                        - name: web
                          image: registry.k8s.io/e2e-test-images/agnhost:2.47
                          ports:
                            - name: http
                              containerPort: 8080
                              protocol: TCP
                            - name: dns
                              containerPort: 53
                              protocol: UDP
                    status:
                      phase: Running
                      podIP: 10.128.%d.%d
                      podIPs:
                        - ip: 10.128.%d.%d
                    ---
                    """.formatted(p, namespace(p), p, p % 2 == 0 ? AotTrainingCommand.NODE_NAME : "other-node",
                    p / 250, p % 250 + 1, p / 250, p % 250 + 1));
        }
        files.put("10-pods.yaml", pods.toString());
        StringBuilder policies = new StringBuilder();
        for (int n = 0; n < NAMESPACES; n++) {
            policies.append("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata:
                      name: default-deny
                      namespace: %s
                    spec:
                      podSelector: {}
                      policyTypes: [Ingress, Egress]
                    ---
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata:
                      name: web-from-team
                      namespace: %s
                    spec:
                      podSelector:
                        matchLabels:
                          app: web
                      policyTypes:
                        - Ingress
                        - Egress
                      ingress:
                        - from:
                            - namespaceSelector:
                                matchLabels:
                                  team: team-%d
                              podSelector:
                                matchExpressions:
                                  - {key: app, operator: In, values: [web, api]}
                            - ipBlock:
                                cidr: 10.0.0.0/8
                                except: [10.96.0.0/12]
                          ports:
                            - protocol: TCP
                              port: http
                            - protocol: TCP
                              port: 9000
                              endPort: 9100
                      egress:
                        - to:
                            - podSelector: {}
                          ports:
                            - {protocol: UDP, port: 53}
                    ---
                    """.formatted(namespace(n), namespace(n), n % 2));
        }
        files.put("20-networkpolicies.yaml", policies.toString());
    }

    /** How many objects {@link #write} writes for {@code services} Services. */
    static int objects(int services) {
        return 2 * services;
    }

    /** Moves endpoint {@code generation % ENDPOINTS} of Service {@code s} to a new address, as a deployment's rollout would. */
    static void change(Path dir, int s, int generation) {
        Path file = dir.resolve(serviceFile(s));
        Path tmp = dir.resolve("." + serviceFile(s) + ".tmp");
        try {
            Files.writeString(tmp, service(s, generation));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("rewriting " + file, e);
        }
    }

    private static String namespace(int n) {
        return NAMESPACE + "-" + n % NAMESPACES;
    }

    private static String serviceFile(int s) {
        return "svc-%05d.yaml".formatted(s);
    }

    /**
     * Service {@code s} and its EndpointSlice: every third in block style with named ports, NodePort or session
     * affinity and a Maglev annotation now and then, the others in the scale benchmark's flow style.
     */
    static String service(int s, int generation) {
        String clusterIp = "10.96.%d.%d".formatted(s / 250, s % 250 + 1);
        StringBuilder sb = new StringBuilder();
        if (s % 3 == 0) {
            sb.append("""
                    apiVersion: v1
                    kind: Service
                    metadata:
                      name: svc-%d
                      namespace: %s
                      labels:
                        app: svc-%d
                      annotations:
                        %s
                    spec:
                      type: %s
                      clusterIP: %s
                      clusterIPs:
                        - %s
                      selector:
                        app: svc-%d
                      sessionAffinity: %s
                      ports:
                        - name: http
                          port: 80
                          targetPort: http
                          protocol: TCP
                        - name: dns
                          port: 53
                          targetPort: 53
                          protocol: UDP
                    ---
                    apiVersion: discovery.k8s.io/v1
                    kind: EndpointSlice
                    metadata:
                      name: svc-%d-abcde
                      namespace: %s
                      labels:
                        kubernetes.io/service-name: svc-%d
                        endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
                      ownerReferences:
                        - apiVersion: v1
                          kind: Service
                          name: svc-%d
                          uid: 6f1c2a3b-0000-4000-8000-%012d
                          controller: true
                          blockOwnerDeletion: true
                    addressType: IPv4
                    ports:
                      - name: http
                        port: 8080
                        protocol: TCP
                      - name: dns
                        port: 53
                        protocol: UDP
                    endpoints:
                    """.formatted(s, namespace(s), s,
                    s % 9 == 0 ? "sluice.io/lb-algorithm: maglev" : "example.com/owner: team-" + s % 7,
                    s % 6 == 0 ? "NodePort" : "ClusterIP", clusterIp, clusterIp, s,
                    s % 4 == 0 ? "ClientIP" : "None", s, namespace(s), s, s, s));
            for (int k = 0; k < ENDPOINTS; k++) {
                sb.append("""
                          - addresses:
                              - %s
                            conditions:
                              ready: %s
                              serving: true
                              terminating: false
                            nodeName: %s
                            targetRef:
                              kind: Pod
                              namespace: %s
                              name: svc-%d-%d
                              uid: 5e0d1c2b-0000-4000-8000-%012x
                        """.formatted(endpointIp(s, k, generation), k == 9 && s % 5 == 0 ? "false" : "true",
                        k % 2 == 0 ? AotTrainingCommand.NODE_NAME : "other-node", namespace(s), s, k, (long) s << 8 | k));
            }
            return sb.toString();
        }
        sb.append("""
                apiVersion: v1
                kind: Service
                metadata: {name: svc-%d, namespace: %s}
                spec:
                  clusterIP: %s
                  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: svc-%d-1
                  namespace: %s
                  labels: {kubernetes.io/service-name: svc-%d}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                """.formatted(s, namespace(s), clusterIp, s, namespace(s), s));
        for (int k = 0; k < ENDPOINTS; k++) {
            sb.append("- {addresses: [").append(endpointIp(s, k, generation)).append("], conditions: {ready: true}}\n");
        }
        return sb.toString();
    }

    /** Endpoint {@code k} of Service {@code s}; a generation moves endpoint {@code generation % ENDPOINTS}. */
    private static String endpointIp(int s, int k, int generation) {
        int moved = generation > 0 && k == generation % ENDPOINTS ? generation : 0;
        int n = s * ENDPOINTS + k + moved * 7919;
        return "10.%d.%d.%d".formatted(1 + (n >> 16) % 64, (n >> 8) & 0xff, n & 0xff);
    }
}
