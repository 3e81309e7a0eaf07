package io.sluice.testnet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Traffic between namespaces with socat: listeners that answer with a fixed line, and requests that report what
 * happened as a {@link RequestOutcome}. IPv4 only for now. Listener data (the name) reaches socat's fixed shell
 * command through an environment variable, never spliced into the command.
 */
public final class Traffic {
    /** A generous timeout for requests expected to be answered. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(5);
    private static final String REPLY_ENV = "SLUICE_REPLY";

    /** The transport of a listener or request. */
    public enum Protocol {
        TCP, UDP
    }

    /** What a listener answers with. */
    public enum Reply {
        /** Its name. */
        NAME,
        /** Its name, a space, and the peer's IP address as it saw it (to check source NAT). */
        NAME_AND_PEER
    }

    private Traffic() {
    }

    /** Starts a TCP listener on {@code port} (all addresses of {@code ns}) answering each connection with {@code name}; returns once it listens. */
    public static Listener tcpListener(Netns ns, int port, String name) {
        return listener(ns, Protocol.TCP, port, name, Reply.NAME);
    }

    /**
     * Starts a UDP responder on {@code port} answering with {@code name}; returns once it is bound. It answers the
     * first datagram of each peer (address and port); more datagrams from the same peer within a second are
     * absorbed without an answer. {@link #udpRequest} uses a new source port each time.
     */
    public static Listener udpResponder(Netns ns, int port, String name) {
        return listener(ns, Protocol.UDP, port, name, Reply.NAME);
    }

    /** Starts a listener of either protocol and reply form; returns once it listens. */
    public static Listener listener(Netns ns, Protocol protocol, int port, String name, Reply reply) {
        requirePort("Traffic.listener", port);
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Traffic.listener: name '" + name
                    + "' must be 1 to 64 characters of letters, digits, '_', '.', ':' and '-'");
        }
        String echo = switch (reply) {
            case NAME -> "echo $" + REPLY_ENV;
            case NAME_AND_PEER -> "echo $" + REPLY_ENV + " $SOCAT_PEERADDR";
        };
        // TCP: -U sends only the script's output, so a client that also sends data cannot make the reply fail.
        // UDP: socat must read the datagram (with -U it would fork for it forever); the script then drains it, so
        // socat never writes into an exited script (EPIPE would drop the reply), and -T ends each child after 1 s.
        String[] command = switch (protocol) {
            case TCP -> new String[] {"socat", "-U", "TCP-LISTEN:" + port + ",fork,reuseaddr", "SYSTEM:" + echo};
            case UDP -> new String[] {"socat", "-T", "1", "UDP-RECVFROM:" + port + ",fork",
                    "SYSTEM:" + echo + "; exec cat >/dev/null"};
        };
        Proc proc = ns.spawn(Map.of(REPLY_ENV, name), command);
        try {
            awaitListening(ns, protocol, port, READY_TIMEOUT, proc);
        } catch (RuntimeException e) {
            proc.close();
            throw e;
        }
        return new Listener(protocol, port, name, proc);
    }

    /** Waits until something in {@code ns} listens on (TCP) or is bound to (UDP) {@code port}, polling {@code ss}. */
    public static void awaitListening(Netns ns, Protocol protocol, int port, Duration timeout) {
        awaitListening(ns, protocol, port, timeout, null);
    }

    private static void awaitListening(Netns ns, Protocol protocol, int port, Duration timeout, Proc proc) {
        // With a process given, only its own socket counts (another listener may hold the port already).
        String flags = (protocol == Protocol.TCP ? "-Hltn" : "-Hlun") + (proc == null ? "" : "p");
        String owner = proc == null ? "" : "pid=" + proc.pid() + ",";
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ExecResult ss = ns.withoutCgroup().exec("ss", flags, "sport", "=", ":" + port).orThrow();
            if (!ss.stdout().isBlank() && ss.stdout().contains(owner)) {
                return;
            }
            if (proc != null && !proc.isAlive()) {
                proc.awaitOutput(Duration.ofSeconds(1));
                throw new IllegalStateException(protocol + " listener on port " + port + " in " + ns.name()
                        + " exited with " + proc.exitCode().orElse(-1) + ": " + proc.stderr().strip());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("nothing listens on " + protocol + " port " + port + " in "
                        + ns.name() + " after " + timeout);
            }
            Commands.sleep(Duration.ofMillis(20));
        }
    }

    /** Connects from {@code from} to {@code ip}:{@code port} and reads one line. */
    public static RequestOutcome tcpRequest(Netns from, String ip, int port, Duration timeout) {
        String target = requireIpv4("Traffic.tcpRequest", ip);
        requirePort("Traffic.tcpRequest", port);
        return exchange(from.owner(), from.wrap(List.of("socat", "-u", "TCP:" + target + ":" + port, "STDOUT")),
                null, timeout);
    }

    /** Sends one datagram from {@code from} to {@code ip}:{@code port} and waits for one line back. */
    public static RequestOutcome udpRequest(Netns from, String ip, int port, Duration timeout) {
        String target = requireIpv4("Traffic.udpRequest", ip);
        requirePort("Traffic.udpRequest", port);
        return exchange(from.owner(), from.wrap(List.of("socat", "-", "UDP:" + target + ":" + port)),
                "ping\n".getBytes(StandardCharsets.US_ASCII), timeout);
    }

    /**
     * Runs a socat client: sends {@code payload} (keeping stdin open so socat waits for the answer), and returns as
     * soon as a line arrives; when socat ends first, its error tells what happened; when neither happens before the
     * timeout, the request timed out.
     */
    private static RequestOutcome exchange(Topology owner, List<String> command, byte[] payload, Duration timeout) {
        owner.requireOpen();
        Process process = Commands.start(command, Map.of(), ProcessBuilder.Redirect.PIPE);
        OutputCapture stderr = OutputCapture.of(process.getErrorStream(), "request-err");
        CompletableFuture<String> firstLine = new CompletableFuture<>();
        Thread.ofVirtual().name("request-out").start(() -> firstLine.complete(readLine(process.getInputStream())));
        try {
            OutputStream stdin = process.getOutputStream();
            if (payload != null) {
                stdin.write(payload);
                stdin.flush();
            } else {
                stdin.close();
            }
            String line = firstLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (line != null) {
                return new RequestOutcome.Answered(line);
            }
            process.waitFor(2, TimeUnit.SECONDS);
            stderr.await(Duration.ofSeconds(1));
            return classify(process.isAlive() ? -1 : process.exitValue(), stderr.text());
        } catch (TimeoutException e) {
            return new RequestOutcome.TimedOut("no answer within " + timeout);
        } catch (IOException e) {
            stderr.await(Duration.ofSeconds(1));
            return classify(-1, stderr.text() + " " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during request [" + String.join(" ", command) + "]", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the answer of [" + String.join(" ", command) + "]", e.getCause());
        } finally {
            Commands.killTree(process.toHandle());
        }
    }

    /** The first line (without its end), the text before end of stream if no line end came, or null if nothing came. */
    private static String readLine(InputStream in) {
        var bytes = new java.io.ByteArrayOutputStream();
        try (in) {
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                bytes.write(b);
            }
            if (b < 0 && bytes.size() == 0) {
                return null;
            }
        } catch (IOException closed) {
            if (bytes.size() == 0) {
                return null;
            }
        }
        return bytes.toString(StandardCharsets.UTF_8).replaceFirst("\r$", "");
    }

    static RequestOutcome classify(int exitCode, String stderr) {
        String detail = lastLine(stderr);
        if (stderr.contains("Connection refused")) {
            return new RequestOutcome.Refused(detail);
        }
        if (stderr.contains("Connection timed out")) {
            return new RequestOutcome.TimedOut(detail);
        }
        if (stderr.contains("No route to host") || stderr.contains("Network is unreachable")
                || stderr.contains("Host is unreachable")) {
            return new RequestOutcome.Unreachable(detail);
        }
        if (stderr.contains("Operation not permitted") || stderr.contains("Permission denied")) {
            return new RequestOutcome.Denied(detail);
        }
        if (exitCode == 0 && stderr.isBlank()) {
            return new RequestOutcome.Failed("connection closed without an answer");
        }
        return new RequestOutcome.Failed("exit " + exitCode + (detail.isEmpty() ? "" : ": " + detail));
    }

    /** socat's last error line without its timestamp and PID prefix. */
    private static String lastLine(String stderr) {
        List<String> lines = new ArrayList<>(stderr.lines().filter(l -> !l.isBlank()).toList());
        if (lines.isEmpty()) {
            return "";
        }
        return lines.getLast().replaceFirst("^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d socat\\[\\d+\\] ", "").strip();
    }

    private static String requireIpv4(String field, String ip) {
        InetAddress address = Cidr.parseAddress(field + " address", ip);
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException(field + ": address " + ip + " is not IPv4 (the traffic helpers are IPv4 only)");
        }
        return address.getHostAddress();
    }

    private static void requirePort(String field, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(field + ": port " + port + " must be 1..65535");
        }
    }
}
