package io.sluice.servicelb;

import java.util.List;
import java.util.Optional;

/**
 * An EndpointSlice after validation.
 *
 * @param name      the slice's name (slices are read in name order, for a stable result)
 * @param family    the slice's {@code addressType}
 * @param ports     the valid ports, unique by name and protocol
 * @param endpoints the valid endpoints
 */
record ParsedSlice(String name, IpFamily family, List<SlicePort> ports, List<SliceEndpoint> endpoints) {

    /** The slice port that serves the Service port named {@code portName} over {@code protocol}, if any. */
    Optional<SlicePort> portFor(String portName, L4Protocol protocol) {
        for (SlicePort port : ports) {
            if (port.protocol() == protocol && port.name().equals(portName)) {
                return Optional.of(port);
            }
        }
        return Optional.empty();
    }

    /** A slice port: the Service port name it serves and the endpoints' port number (the resolved targetPort). */
    record SlicePort(String name, L4Protocol protocol, int port) {
    }

    /** An endpoint: its first address and its conditions, with the API's defaults for absent conditions applied. */
    record SliceEndpoint(IpAddress address, String nodeName, String zone, boolean ready, boolean serving,
                         boolean terminating) {
    }
}
