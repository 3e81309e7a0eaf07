package io.sluice.testnet;

/**
 * A TCP listener or UDP responder started by {@link Traffic}: it answers each connection (or datagram) with one
 * line, the listener's name, optionally followed by the peer's address as the listener saw it. Closing it (or
 * the topology) kills it by PID.
 *
 * @param protocol the transport it listens on
 * @param port     the port it listens on (all addresses of its namespace)
 * @param name     the line it answers with
 * @param proc     the socat process behind it
 */
public record Listener(Traffic.Protocol protocol, int port, String name, Proc proc) implements AutoCloseable {

    @Override
    public void close() {
        proc.close();
    }
}
