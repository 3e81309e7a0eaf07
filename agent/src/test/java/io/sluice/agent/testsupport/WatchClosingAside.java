package io.sluice.agent.testsupport;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.lang.reflect.Field;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * fabric8's CRUD dispatcher, except that a closed watch is cleaned up off the event loop: the mock's own clean-up
 * waits up to a minute for the watch's pending timer, on the event loop, and so stalls every connection of that loop
 * whenever a client (an agent restarting its informers) closes a watch. ebpf-tests' MockApiServerMain serves with it
 * too, through this module's test-jar.
 *
 * <p>The closed watch first leaves the dispatcher's watches, under the dispatcher's write lock (under which every
 * create, update and delete sends its events): the mock's clean-up shuts the watch's executor down before it
 * deregisters the watch, and a change sent to the watch in between was refused by that executor on the event loop,
 * so the request that made the change never got its response (KubernetesOutageTest's create timed out after 10 s).
 * Both fields are private to fabric8's dispatcher, hence the reflection.
 */
public final class WatchClosingAside extends KubernetesCrudDispatcher {
    private final Set<?> watches = field("watchEventListeners", Set.class);
    private final Lock changes = field("lock", ReadWriteLock.class).writeLock();

    private <T> T field(String name, Class<T> type) {
        try {
            Field field = KubernetesCrudDispatcher.class.getDeclaredField(name);
            field.setAccessible(true);
            return type.cast(field.get(this));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("fabric8's KubernetesCrudDispatcher has no field " + name
                    + " of type " + type.getSimpleName() + " any more; WatchClosingAside needs updating", e);
        }
    }

    /** No change sends events to {@code watch} once this returns (one in progress has finished). */
    private void deregister(WebSocketListener watch) {
        changes.lock();
        try {
            watches.remove(watch);
        } finally {
            changes.unlock();
        }
    }

    @Override
    public MockResponse handleWatch(String path) {
        MockResponse response = super.handleWatch(path);
        WebSocketListener watch = response.getWebSocketListener();
        if (watch == null) {
            return response;
        }
        return response.withWebSocketUpgrade(new WebSocketListener() {
            @Override
            public void onBeforeAccept(WebSocket ws, Response r) {
                watch.onBeforeAccept(ws, r);
            }

            @Override
            public void onOpen(WebSocket ws, Response r) {
                watch.onOpen(ws, r);
            }

            @Override
            public void onMessage(WebSocket ws, String text) {
                watch.onMessage(ws, text);
            }

            @Override
            public void onMessage(WebSocket ws, ByteString bytes) {
                watch.onMessage(ws, bytes);
            }

            @Override
            public void onMessage(WebSocket ws, byte[] bytes) {
                watch.onMessage(ws, bytes);
            }

            @Override
            public void onPing(WebSocket ws, byte[] bytes) {
                watch.onPing(ws, bytes);
            }

            @Override
            public void onClosing(WebSocket ws, int code, String reason) {
                watch.onClosing(ws, code, reason);
            }

            @Override
            public void onClosed(WebSocket ws, int code, String reason) {
                deregister(watch);
                Thread.ofVirtual().start(() -> watch.onClosed(ws, code, reason));
            }

            @Override
            public void onFailure(WebSocket ws, Throwable t, Response r) {
                deregister(watch);
                Thread.ofVirtual().start(() -> watch.onFailure(ws, t, r));
            }
        });
    }
}
