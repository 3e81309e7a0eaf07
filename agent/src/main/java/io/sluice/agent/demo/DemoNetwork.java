package io.sluice.agent.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's throw-away network: one node namespace with pod namespaces behind veths, named
 * {@code sluice-demo-<pid>-<role>}, all removed on {@link #close()} (also after a failure). Pod namespaces route
 * only to the node; the node has no default route, so nothing leaves the machine. Namespaces of an earlier demo
 * whose process is gone are swept first.
 */
final class DemoNetwork implements AutoCloseable {
    private static final String PREFIX = "sluice-demo-";
    private static final long COMMAND_TIMEOUT_SECONDS = 10;

    private final String prefix = PREFIX + ProcessHandle.current().pid() + "-";
    private final Deque<String> namespaces = new ArrayDeque<>();
    private final List<Process> processes = new ArrayList<>();
    final String node;

    DemoNetwork() {
        sweepLeftovers();
        node = namespace("node");
        run("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    }

    /** A pod namespace behind the node's veth {@code hostVeth}, with {@code podIp}/24 and the node at {@code gatewayIp}. */
    String pod(String role, String hostVeth, String podIp, String gatewayIp) {
        String pod = namespace(role);
        run("ip", "-n", node, "link", "add", hostVeth, "type", "veth", "peer", "name", "eth0", "netns", pod);
        run("ip", "-n", node, "addr", "add", gatewayIp + "/24", "dev", hostVeth);
        run("ip", "-n", node, "link", "set", hostVeth, "up");
        run("ip", "-n", pod, "addr", "add", podIp + "/24", "dev", "eth0");
        run("ip", "-n", pod, "link", "set", "eth0", "up");
        return pod;
    }

    /** Routes {@code cidr} from {@code ns} through {@code gateway}, which is inside this network. */
    void route(String ns, String cidr, String gateway) {
        run("ip", "-n", ns, "route", "add", cidr, "via", gateway);
    }

    /** Starts a TCP listener in {@code ns} that answers every connection with {@code reply}. */
    void listener(String ns, int port, String reply) {
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns, "socat",
                "TCP-LISTEN:" + port + ",fork,reuseaddr", "SYSTEM:echo " + reply)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        try {
            processes.add(pb.start());
        } catch (IOException e) {
            throw new IllegalStateException("starting socat in " + ns + ": is socat installed? (bin/setup)", e);
        }
        awaitListening(ns, port);
    }

    /** Connects from {@code ns} to {@code ip}:{@code port} and returns the line received, or empty. */
    String request(String ns, String ip, int port) {
        return exec("ip", "netns", "exec", ns, "socat", "-T", "2", "-u", "TCP:" + ip + ":" + port + ",connect-timeout=2", "STDOUT").strip();
    }

    private void awaitListening(String ns, int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (exec("ip", "netns", "exec", ns, "ss", "-Hltn", "sport = :" + port).contains(":" + port)) {
                return;
            }
            sleep(20);
        }
        throw new IllegalStateException("nothing listens on TCP port " + port + " in " + ns + " after 5 s");
    }

    private String namespace(String role) {
        String name = prefix + role;
        run("ip", "netns", "add", name);
        namespaces.push(name);
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        while (!namespaces.isEmpty()) {
            exec("ip", "netns", "delete", namespaces.pop());
        }
    }

    private static void sweepLeftovers() {
        for (String line : exec("ip", "netns", "list").split("\n")) {
            String name = line.split(" ")[0];
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            String pid = name.substring(PREFIX.length()).split("-")[0];
            boolean alive = pid.chars().allMatch(Character::isDigit) && !pid.isEmpty()
                    && ProcessHandle.of(Long.parseLong(pid)).isPresent();
            if (!alive) {
                exec("ip", "netns", "delete", name);
            }
        }
    }

    private static void run(String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + " could not start: is iproute2 installed? (bin/setup)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + " interrupted", e);
        }
    }

    private static String exec(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
