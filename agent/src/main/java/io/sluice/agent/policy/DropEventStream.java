package io.sluice.agent.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands drop events, one text line each, to every {@code sluice monitor} connected to a Unix socket in the agent's
 * state directory. The agent is the ring buffer's only reader (two readers would split the events between them),
 * and this is how more than one person watches. A client that cannot keep up (its socket buffer is full) is
 * disconnected rather than slowing the reader down.
 *
 * <p>Threads: an accept thread of its own; {@link #publish} from the event reader's thread.
 */
public final class DropEventStream implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DropEventStream.class);

    private final Path path;
    private final ServerSocketChannel server;
    private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean closed;

    private DropEventStream(Path path, ServerSocketChannel server) {
        this.path = path;
        this.server = server;
        this.acceptor = Thread.ofPlatform().daemon().name("sluice-monitor-accept").start(this::acceptLoop);
    }

    /**
     * Listens on {@code path}, replacing a socket file a previous agent left (the caller holds the state
     * directory's lock, so no other agent uses it).
     */
    public static DropEventStream open(Path path) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            Files.deleteIfExists(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            return new DropEventStream(path, server);
        } catch (IOException e) {
            throw new UncheckedIOException("listening for sluice monitor on " + path, e);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                client.configureBlocking(false);
                clients.add(client);
                LOG.debug("a monitor connected ({} now)", clients.size());
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accepting a monitor connection on {} failed", path, e);
                }
            }
        }
    }

    /** Sends {@code line} (a newline is added) to every connected monitor. */
    public void publish(String line) {
        if (clients.isEmpty()) {
            return;
        }
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        for (SocketChannel client : clients) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            try {
                client.write(buffer);
                if (buffer.hasRemaining()) {
                    LOG.info("disconnecting a monitor that does not keep up");
                    drop(client);
                }
            } catch (IOException gone) {
                drop(client);
            }
        }
    }

    /** How many monitors are connected. */
    public int clients() {
        return clients.size();
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }

    private void drop(SocketChannel client) {
        clients.remove(client);
        try {
            client.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing {}", path, e);
        }
        clients.forEach(this::drop);
        try {
            acceptor.join(2000);
            Files.deleteIfExists(path);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debug("removing {}", path, e);
        }
    }
}
