package io.sluice.servicelb;

import java.util.Objects;

/**
 * One port of one Service, as kube-proxy names it: the Service and {@code spec.ports[].name} (empty for a
 * Service's single unnamed port).
 *
 * @param service  the Service
 * @param portName the port's name, possibly empty
 */
public record ServicePortName(ServiceKey service, String portName) implements Comparable<ServicePortName> {

    public ServicePortName {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(portName, "portName");
    }

    /** By Service, then port name; written out rather than a comparator chain, which C1 does not inline. */
    @Override
    public int compareTo(ServicePortName other) {
        int c = service.compareTo(other.service);
        return c != 0 ? c : portName.compareTo(other.portName);
    }

    /** Hand-written: a record's generated equals goes through a method handle, slow under C1. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ServicePortName other && portName.equals(other.portName) && service.equals(other.service);
    }

    @Override
    public int hashCode() {
        return 31 * service.hashCode() + portName.hashCode();
    }

    /** {@code namespace/name:port}, or {@code namespace/name} for an unnamed port. */
    @Override
    public String toString() {
        return portName.isEmpty() ? service.toString() : service + ":" + portName;
    }
}
