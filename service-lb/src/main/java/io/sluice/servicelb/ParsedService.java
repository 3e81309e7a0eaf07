package io.sluice.servicelb;

import java.util.List;

/**
 * A Service after validation: only what the translation uses, each address with the field it came from.
 *
 * @param key            the Service
 * @param ref            the Service as refusals name it
 * @param clusterIps     at most one per family, in the Service's order (primary family first)
 * @param ports          the valid ports
 * @param externalIps    the valid external IPs
 * @param loadBalancerIps the valid VIP-mode load-balancer ingress IPs
 * @param affinity       session affinity
 * @param algorithm      load-balancing algorithm
 * @param internalLocal  {@code internalTrafficPolicy: Local}
 * @param externalLocal  {@code externalTrafficPolicy: Local} on an externally reachable Service
 */
record ParsedService(
        ServiceKey key,
        ObjectRef ref,
        List<SourcedIp> clusterIps,
        List<ParsedPort> ports,
        List<SourcedIp> externalIps,
        List<SourcedIp> loadBalancerIps,
        SessionAffinity affinity,
        LbAlgorithm algorithm,
        boolean internalLocal,
        boolean externalLocal) {

    /** An address and the field path it was read from. */
    record SourcedIp(IpAddress ip, String field) {
    }

    /**
     * One valid Service port.
     *
     * @param index    position in {@code spec.ports}
     * @param name     the port name, empty if unnamed
     * @param port     {@code port}
     * @param protocol {@code protocol}, supported by the data path
     * @param nodePort {@code nodePort}, 0 if none
     */
    record ParsedPort(int index, String name, int port, L4Protocol protocol, int nodePort) {

        String field() {
            return "spec.ports[" + index + "]";
        }

        String describe() {
            return name.isEmpty() ? "port " + port + "/" + protocol : "port '" + name + "'";
        }
    }
}
