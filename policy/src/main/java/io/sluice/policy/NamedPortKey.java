package io.sluice.policy;

/**
 * A container port name together with its protocol: a policy's named port {@code http} over TCP
 * matches a container port named {@code http} only if that port is TCP too.
 *
 * @param protocol the port's protocol
 * @param name the port's name
 */
public record NamedPortKey(Protocol protocol, String name) {
}
