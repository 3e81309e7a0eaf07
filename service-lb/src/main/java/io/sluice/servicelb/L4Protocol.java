package io.sluice.servicelb;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The transport protocol of a service port, a frontend and its backends. */
public enum L4Protocol {
    TCP,
    UDP,
    SCTP;

    /**
     * The protocols the kernel data path balances: the one place that decides it. SCTP is known so that a
     * Service asking for it is refused by name rather than misread; it becomes supported by adding it here once
     * bpf-progs parses SCTP headers.
     */
    public static final Set<L4Protocol> DATA_PATH_PROTOCOLS = Collections.unmodifiableSet(EnumSet.of(TCP, UDP));

    // fromKubernetes runs for every port of every Service and EndpointSlice: no values() copy, no Optional per call.
    private static final L4Protocol[] VALUES = values();
    private static final List<Optional<L4Protocol>> NAMED = Arrays.stream(VALUES).map(Optional::of).toList();

    /** True if the data path can balance this protocol (see {@link #DATA_PATH_PROTOCOLS}). */
    public boolean supportedByDataPath() {
        return DATA_PATH_PROTOCOLS.contains(this);
    }

    /**
     * The protocol a Kubernetes {@code protocol} field names. Absent or empty means TCP, the API server's default
     * (manifests read from a directory are not defaulted by an API server). Spelling is exact, as in the API
     * ({@code "tcp"} is not a protocol there either).
     *
     * @return the protocol, or empty if the value names none
     */
    public static Optional<L4Protocol> fromKubernetes(String value) {
        if (value == null || value.isEmpty()) {
            return NAMED.get(TCP.ordinal());
        }
        for (L4Protocol protocol : VALUES) {
            if (protocol.name().equals(value)) {
                return NAMED.get(protocol.ordinal());
            }
        }
        return Optional.empty();
    }
}
