package io.sluice.lab;

/**
 * One endpoint of a Service for one of its ports, as its EndpointSlices say.
 *
 * @param address  the endpoint's address
 * @param pod      {@code namespace/name} of the lab pod with that address, or null
 * @param ready    the endpoint's ready condition
 * @param portName the EndpointSlice port's name (empty when unnamed)
 * @param protocol the port's protocol
 * @param port     the port the endpoint serves on
 */
public record LabBackend(String address, String pod, boolean ready, String portName, String protocol, int port) {
}
