package io.sluice.lab;

import java.util.List;

/**
 * A Service as the lab serves it: where it is reached and which endpoints back it.
 *
 * @param namespace       the Service's namespace
 * @param name            its name
 * @param type            {@code ClusterIP}, {@code NodePort}, {@code LoadBalancer} or {@code ExternalName}
 * @param clusterIP       the cluster IP, {@code None} when headless, null for ExternalName
 * @param sessionAffinity {@code None} or {@code ClientIP}
 * @param lbAlgorithm     the {@code sluice.io/lb-algorithm} annotation, or null
 * @param frontends       cluster IP and node port frontends
 * @param backends        endpoints per port, from the Service's EndpointSlices
 */
public record LabService(String namespace, String name, String type, String clusterIP, String sessionAffinity,
                         String lbAlgorithm, List<ServiceFrontend> frontends, List<LabBackend> backends) {

    public LabService {
        frontends = List.copyOf(frontends);
        backends = List.copyOf(backends);
    }

    /** {@code namespace/name}. */
    public String key() {
        return namespace + "/" + name;
    }
}
