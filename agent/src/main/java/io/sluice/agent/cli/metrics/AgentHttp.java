package io.sluice.agent.cli.metrics;

import io.sluice.agent.cli.CliException;
import io.sluice.loader.NetworkNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * GETs of the agent's status endpoints ({@code /metrics}, {@code /healthz}, {@code /readyz}), optionally from
 * inside a network namespace (a lab node's): the connection is opened by a thread that joined it.
 *
 * @param address {@code host:port} as the agent's {@code --metrics-address} ({@code [::1]:9964} for IPv6)
 * @param netns   the name under {@code /run/netns} to connect from, or null for this process's namespace
 */
public record AgentHttp(String address, String netns, Duration timeout) {

    /** A response: status code and body. */
    public record Response(int status, String body) {
        /** The body's first line, for a probe's reason. */
        public String firstLine() {
            String b = body.strip();
            int nl = b.indexOf('\n');
            return nl < 0 ? b : b.substring(0, nl);
        }
    }

    /** The URL of {@code path} at the agent. */
    public String url(String path) {
        return "http://" + address + path;
    }

    /** GETs {@code path}; an unreachable agent is a {@link CliException} saying where it was looked for. */
    public Response get(String path) {
        URL url;
        try {
            url = new URI(url(path)).toURL();
        } catch (URISyntaxException | IllegalArgumentException | IOException e) {
            throw new CliException("--address: '" + address + "' is not HOST:PORT (" + e.getMessage() + ")");
        }
        try {
            if (netns == null) {
                return fetch(url);
            }
            try (NetworkNamespace ns = NetworkNamespace.named(netns)) {
                return ns.call(() -> fetch(url));
            } catch (IllegalArgumentException e) {
                throw new CliException("--netns: " + e.getMessage());
            }
        } catch (IOException e) {
            throw new CliException("cannot reach the agent at " + url + ": " + e.getMessage()
                    + " (is the agent running with --metrics-address " + address + "?"
                    + (netns == null ? " In a lab, give the node's namespace with --netns." : " in network namespace " + netns + "?") + ")", e);
        }
    }

    private Response fetch(URL url) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) url.openConnection();
        try {
            connection.setConnectTimeout((int) timeout.toMillis());
            connection.setReadTimeout((int) timeout.toMillis());
            connection.setRequestProperty("Connection", "close");
            int status = connection.getResponseCode();
            InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Response(status, body);
        } finally {
            connection.disconnect();
        }
    }
}
