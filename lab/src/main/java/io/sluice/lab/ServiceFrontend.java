package io.sluice.lab;

/**
 * An address and port where a Service is reached.
 *
 * @param kind     {@code ClusterIP} or {@code NodePort}
 * @param address  the cluster IP, or a node's address for a node port
 * @param port     the service port, or the node port
 * @param protocol {@code TCP}, {@code UDP} or {@code SCTP}
 * @param portName the service port's name (empty when unnamed)
 */
public record ServiceFrontend(String kind, String address, int port, String protocol, String portName) {

    @Override
    public String toString() {
        return address + ":" + port + "/" + protocol;
    }
}
