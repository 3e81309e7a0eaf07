package io.sluice.policy;

/**
 * A container port name together with its protocol: a policy's named port {@code http} over TCP
 * matches a container port named {@code http} only if that port is TCP too.
 *
 * @param protocol the port's protocol
 * @param name the port's name
 */
public record NamedPortKey(Protocol protocol, String name) {

    // Written out: a map key on the recompile path, and the record's generated methods are slow without the
    // optimising compiler.
    @Override
    public boolean equals(Object o) {
        return o instanceof NamedPortKey k && protocol == k.protocol && java.util.Objects.equals(name, k.name);
    }

    @Override
    public int hashCode() {
        return 31 * protocol.ordinal() + java.util.Objects.hashCode(name);
    }
}
