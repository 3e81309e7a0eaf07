package io.sluice.servicelb;

import java.util.Optional;

/**
 * The address family of an IP address. Kept explicit on every frontend and backend because the data path has
 * separate IPv4 and IPv6 maps, and a frontend only ever balances to backends of its own family.
 */
public enum IpFamily {
    IPV4(4, "IPv4"),
    IPV6(16, "IPv6");

    private final int byteLength;
    private final String kubernetesName;

    IpFamily(int byteLength, String kubernetesName) {
        this.byteLength = byteLength;
        this.kubernetesName = kubernetesName;
    }

    /** Length of an address of this family in bytes (4 or 16). */
    public int byteLength() {
        return byteLength;
    }

    /** Length of an address of this family in bits (32 or 128). */
    public int bitLength() {
        return byteLength * 8;
    }

    /** The spelling Kubernetes uses ({@code IPv4}, {@code IPv6}), as in {@code EndpointSlice.addressType}. */
    public String kubernetesName() {
        return kubernetesName;
    }

    /** The family named by a Kubernetes value such as {@code EndpointSlice.addressType}; empty for anything else. */
    public static Optional<IpFamily> fromKubernetesName(String name) {
        for (IpFamily family : values()) {
            if (family.kubernetesName.equals(name)) {
                return Optional.of(family);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return kubernetesName;
    }
}
