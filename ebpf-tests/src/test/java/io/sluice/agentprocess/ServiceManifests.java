package io.sluice.agentprocess;

import java.util.List;

/**
 * Service and EndpointSlice manifests for the agent tests' manifest folder, in namespace {@code default}: one YAML
 * document each, without a {@code ---} separator (callers join documents).
 */
final class ServiceManifests {

    /**
     * A port of a Service: {@code port} on the cluster IP, {@code targetPort} on the pods, which is also the port
     * the EndpointSlice lists under the same {@code name}.
     */
    record Port(String name, int port, int targetPort, String protocol) {
    }

    private ServiceManifests() {
    }

    /** A ClusterIP Service {@code name} on {@code clusterIp} with {@code ports}. */
    static String service(String name, String clusterIp, List<Port> ports) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                  namespace: default
                spec:
                  clusterIP: %s
                  clusterIPs: [%s]
                  ports:
                """.formatted(name, clusterIp, clusterIp));
        for (Port p : ports) {
            yaml.append("""
                      - name: %s
                        port: %d
                        targetPort: %d
                        protocol: %s
                    """.formatted(p.name(), p.port(), p.targetPort(), p.protocol()));
        }
        return yaml.toString();
    }

    /**
     * The EndpointSlice {@code <service>-1} of Service {@code service}: the target ports of {@code ports}, and each
     * of {@code addresses} a ready endpoint on node-1.
     */
    static String endpointSlice(String service, List<Port> ports, String... addresses) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %s-1
                  namespace: default
                  labels:
                    kubernetes.io/service-name: %s
                addressType: IPv4
                ports:
                """.formatted(service, service));
        for (Port p : ports) {
            yaml.append("""
                    - name: %s
                      port: %d
                      protocol: %s
                    """.formatted(p.name(), p.targetPort(), p.protocol()));
        }
        yaml.append("endpoints:\n");
        for (String address : addresses) {
            yaml.append("""
                    - addresses: [%s]
                      conditions: {ready: true, serving: true, terminating: false}
                      nodeName: node-1
                    """.formatted(address));
        }
        return yaml.toString();
    }
}
