package io.sluice.servicelb;

import java.util.Comparator;
import java.util.Objects;

/**
 * One port of one Service, as kube-proxy names it: the Service and {@code spec.ports[].name} (empty for a
 * Service's single unnamed port).
 *
 * @param service  the Service
 * @param portName the port's name, possibly empty
 */
public record ServicePortName(ServiceKey service, String portName) implements Comparable<ServicePortName> {

    private static final Comparator<ServicePortName> ORDER =
            Comparator.comparing(ServicePortName::service).thenComparing(ServicePortName::portName);

    public ServicePortName {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(portName, "portName");
    }

    @Override
    public int compareTo(ServicePortName other) {
        return ORDER.compare(this, other);
    }

    /** {@code namespace/name:port}, or {@code namespace/name} for an unnamed port. */
    @Override
    public String toString() {
        return portName.isEmpty() ? service.toString() : service + ":" + portName;
    }
}
