package io.sluice.agent.testsupport;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/**
 * fabric8's CRUD dispatcher, except that a closed watch is cleaned up off the event loop: the mock's own clean-up
 * waits up to a minute for the watch's pending timer, on the event loop, and so stalls every connection of that loop
 * whenever a client (an agent restarting its informers) closes a watch. ebpf-tests' MockApiServerMain serves with it
 * too, through this module's test-jar.
 */
public final class WatchClosingAside extends KubernetesCrudDispatcher {
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
                Thread.ofVirtual().start(() -> watch.onClosed(ws, code, reason));
            }

            @Override
            public void onFailure(WebSocket ws, Throwable t, Response r) {
                Thread.ofVirtual().start(() -> watch.onFailure(ws, t, r));
            }
        });
    }
}
