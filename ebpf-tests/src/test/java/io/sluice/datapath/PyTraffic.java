package io.sluice.datapath;

import io.sluice.testnet.ExecResult;
import io.sluice.testnet.Netns;
import io.sluice.testnet.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Traffic that socat cannot make fast enough or keep open: a Python server answering many ports from one
 * process, and Python clients that make hundreds of connections in one process (so a test measures the kernel,
 * not process start-up) or keep connections open while new ones are made. Scripts reach the interpreter as
 * {@code -c} text with their data as arguments, never spliced into code.
 */
final class PyTraffic {
    /** Listeners from arguments {@code KIND:PORT:NAME}; prints "ready" once all are bound. */
    static final String SERVER = """
            import selectors
            import socket
            import sys

            # Listeners from arguments KIND:PORT:NAME. tcp: greet each connection with "NAME PEER", then answer every
            # line with "NAME" until the peer closes. tcpclose: accept and close at once. udp: answer every datagram
            # with "NAME PEER". tcp6, udp6: the same on a dual-stack IPv6 socket (IPv4 peers show as ::ffff:a.b.c.d).
            # sink: count what a connection sends until it shuts down, then answer "NAME COUNT". source: send
            # SOURCE_BYTES bytes to each connection, then close.
            SOURCE_BYTES = 1_000_000
            sel = selectors.DefaultSelector()
            received = {}
            for spec in sys.argv[1:]:
                kind, port, name = spec.split(':')
                family = socket.AF_INET6 if kind.endswith('6') else socket.AF_INET
                kind = kind.rstrip('6')
                if kind != 'udp':
                    s = socket.socket(family, socket.SOCK_STREAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                else:
                    s = socket.socket(family, socket.SOCK_DGRAM)
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                s.bind(('::' if family == socket.AF_INET6 else '0.0.0.0', int(port)))
                if kind != 'udp':
                    s.listen(4096)
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, (kind, name, 'listen'))
            print('ready', flush=True)


            def close(s):
                sel.unregister(s)
                s.close()


            while True:
                for key, _ in sel.select():
                    kind, name, role = key.data
                    s = key.fileobj
                    if role == 'sink':
                        try:
                            data = s.recv(65536)
                        except OSError:
                            data = b''
                        if data:
                            received[s] += len(data)
                            continue
                        s.setblocking(True)
                        try:
                            s.sendall(('%s %d\\n' % (name, received.pop(s))).encode())
                        except OSError:
                            pass
                        close(s)
                    elif role == 'conn':
                        try:
                            data = s.recv(4096)
                        except OSError:
                            data = b''
                        if not data:
                            close(s)
                            continue
                        try:
                            s.send((name + '\\n').encode() * data.count(b'\\n'))
                        except OSError:
                            close(s)
                    elif kind == 'udp':
                        while True:
                            try:
                                data, peer = s.recvfrom(4096)
                            except BlockingIOError:
                                break
                            s.sendto(('%s %s\\n' % (name, peer[0])).encode(), peer)
                    else:
                        while True:
                            try:
                                c, peer = s.accept()
                            except BlockingIOError:
                                break
                            if kind == 'tcpclose':
                                c.close()
                                continue
                            if kind == 'source':
                                c.setblocking(True)
                                try:
                                    c.sendall(b'x' * SOURCE_BYTES)
                                except OSError:
                                    pass
                                c.close()
                                continue
                            if kind == 'sink':
                                c.setblocking(False)
                                received[c] = 0
                                sel.register(c, selectors.EVENT_READ, (kind, name, 'sink'))
                                continue
                            c.setblocking(False)
                            try:
                                c.send(('%s %s\\n' % (name, peer[0])).encode())
                            except OSError:
                                c.close()
                                continue
                            sel.register(c, selectors.EVENT_READ, (kind, name, 'conn'))
            """;

    /** Client modes; see the comments in the script. */
    static final String CLIENT = """
            import errno
            import json
            import socket
            import struct
            import sys
            import time

            # Clients that print one line per outcome: the server's answer, or "ERR <errno name>".
            mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            args = [int(a) for a in sys.argv[4:]] if mode != 'cps' else []
            TIMEOUT = 2.0
            FAMILY = socket.AF_INET6 if ':' in host else socket.AF_INET
            ANY = '::' if FAMILY == socket.AF_INET6 else '0.0.0.0'


            def error(e):
                if isinstance(e, socket.timeout):
                    return 'ERR timeout'
                return 'ERR ' + errno.errorcode.get(e.errno, str(e.errno))


            def read_line(s):
                data = b''
                while not data.endswith(b'\\n'):
                    chunk = s.recv(256)
                    if not chunk:
                        break
                    data += chunk
                return data.decode().strip() or 'ERR closed'


            def tcp_greeting(source_port=0):
                s = socket.socket(FAMILY, socket.SOCK_STREAM)
                s.settimeout(TIMEOUT)
                try:
                    if source_port:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        s.bind((ANY, source_port))
                    s.connect((host, port))
                    return read_line(s)
                except OSError as e:
                    return error(e)
                finally:
                    s.close()


            def udp_exchange(source_port=0):
                s = socket.socket(FAMILY, socket.SOCK_DGRAM)
                s.settimeout(TIMEOUT)
                try:
                    if source_port:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        s.bind((ANY, source_port))
                    s.connect((host, port))
                    s.send(b'ping\\n')
                    return s.recv(256).decode().strip()
                except OSError as e:
                    return error(e)
                finally:
                    s.close()


            if mode == 'tcp':  # COUNT connections, each reads the greeting
                for _ in range(args[0]):
                    print(tcp_greeting())
            elif mode == 'tcpfrom':  # one connection from SOURCE_PORT
                print(tcp_greeting(args[0]))
            elif mode in ('peer', 'udppeer'):  # one connected socket: "PEER-ADDRESS PEER-PORT ANSWER" (getpeername)
                s = socket.socket(FAMILY, socket.SOCK_STREAM if mode == 'peer' else socket.SOCK_DGRAM)
                s.settimeout(TIMEOUT)
                try:
                    s.connect((host, port))
                    peer = s.getpeername()
                    if mode == 'udppeer':
                        s.send(b'ping\\n')
                    print(peer[0], peer[1], read_line(s) if mode == 'peer' else s.recv(256).decode().strip())
                except OSError as e:
                    print(error(e))
                finally:
                    s.close()
            elif mode == 'upload':  # send BYTES, shut down writing, print the answer (a sink's "NAME COUNT")
                s = socket.socket(FAMILY, socket.SOCK_STREAM)
                s.settimeout(10)
                s.connect((host, port))
                s.sendall(b'y' * args[0])
                s.shutdown(socket.SHUT_WR)
                print(read_line(s))
                s.close()
            elif mode == 'download':  # read until the server closes: print the byte count
                s = socket.socket(FAMILY, socket.SOCK_STREAM)
                s.settimeout(10)
                s.connect((host, port))
                total = 0
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    total += len(chunk)
                print(total)
                s.close()
            elif mode == 'udp':  # COUNT datagrams, each from a new socket
                for _ in range(args[0]):
                    print(udp_exchange())
            elif mode == 'udpflow':  # one datagram from SOURCE_PORT: the same flow on every run
                print(udp_exchange(args[0]))
            elif mode == 'udpsockets':  # SOCKETS unconnected sockets, each sends DATAGRAMS: "socket answer from-address"
                for i in range(args[0]):
                    s = socket.socket(FAMILY, socket.SOCK_DGRAM)
                    s.settimeout(TIMEOUT)
                    for _ in range(args[1]):
                        try:
                            s.sendto(b'ping\\n', (host, port))
                            data, peer = s.recvfrom(256)
                            print('%d %s from %s:%d' % (i, data.decode().strip(), peer[0], peer[1]))
                        except OSError as e:
                            print('%d %s' % (i, error(e)))
                    s.close()
            elif mode == 'stream':  # LONG long-lived connections, then new ones for SECONDS, one every PERIOD_MS
                long_lived, seconds, period = args[0], args[1], args[2] / 1000.0
                conns = []
                for i in range(long_lived):
                    s = socket.socket(FAMILY, socket.SOCK_STREAM)
                    s.settimeout(TIMEOUT)
                    s.connect((host, port))
                    conns.append((s, read_line(s).split()[0]))
                    print(json.dumps({'kind': 'long', 'index': i, 'backend': conns[-1][1], 'start': time.monotonic_ns()}))
                end = time.monotonic_ns() + seconds * 1_000_000_000
                rounds = 0
                while time.monotonic_ns() < end:
                    start = time.monotonic_ns()
                    print(json.dumps({'kind': 'new', 'start': start, 'result': tcp_greeting()}))
                    rounds += 1
                    if rounds % 5 == 0:
                        for i, (s, backend) in enumerate(conns):
                            try:
                                s.send(b'ping\\n')
                                result = read_line(s)
                            except OSError as e:
                                result = error(e)
                            print(json.dumps({'kind': 'ping', 'index': i, 'start': start, 'result': result}))
                    time.sleep(max(0.0, period - (time.monotonic_ns() - start) / 1e9))
                sys.stdout.flush()
            elif mode == 'cps':  # connect-and-reset loops alternating between HOST:PORT and HOST2:PORT2 (the two
                # last arguments), ROUNDS slices of SLICE_MS each: prints "connections nanoseconds failures" per target
                host2, port2 = sys.argv[4], int(sys.argv[5])
                slice_ns, rounds = int(sys.argv[6]) * 1_000_000, int(sys.argv[7])
                linger = struct.pack('ii', 1, 0)
                totals = [[0, 0, 0], [0, 0, 0]]
                for _ in range(rounds):
                    for i, target in enumerate(((host, port), (host2, port2))):
                        start = time.monotonic_ns()
                        end = start + slice_ns
                        while time.monotonic_ns() < end:
                            for _ in range(20):
                                s = socket.socket(FAMILY, socket.SOCK_STREAM)
                                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                                try:
                                    s.connect(target)
                                    totals[i][0] += 1
                                except OSError:
                                    totals[i][2] += 1
                                s.close()
                        totals[i][1] += time.monotonic_ns() - start
                for total in totals:
                    print(*total)
            else:
                sys.exit('unknown mode ' + mode)
            """;

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    private PyTraffic() {
    }

    /**
     * The interpreter: Debian's {@code /usr/bin/python3} when present (a version manager's shim on the PATH can
     * take seconds to start), else {@code python3}. Without one the test is skipped, or fails when
     * {@code CI=true}.
     */
    static String python() {
        for (String candidate : List.of("/usr/bin/python3", "/usr/local/bin/python3")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "python3"))) {
                return "python3";
            }
        }
        String message = "python3 is needed for the traffic of this test (Debian package python3)";
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(message);
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    /** Starts the server in {@code ns} with listeners {@code KIND:PORT:NAME}; returns once they are bound. */
    static Proc server(Netns ns, String... listeners) {
        List<String> command = new ArrayList<>(List.of(python(), "-c", SERVER));
        command.addAll(List.of(listeners));
        Proc proc = ns.spawn(command.toArray(String[]::new));
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!proc.stdout().contains("ready")) {
            if (!proc.isAlive() || System.nanoTime() > deadline) {
                proc.close();
                throw new IllegalStateException("python server in " + ns.name() + " did not start: " + proc.stderr());
            }
            sleep(Duration.ofMillis(20));
        }
        return proc;
    }

    /** Runs a client to its end and returns its output lines; fails with its error output if it fails. */
    static List<String> client(Netns ns, Duration timeout, Object... arguments) {
        ExecResult result = ns.exec(timeout, command(arguments)).orThrow();
        return result.stdout().lines().toList();
    }

    /** Starts a client without waiting for it (a stream the test changes the maps under). */
    static Proc clientAsync(Netns ns, Object... arguments) {
        return ns.spawn(command(arguments));
    }

    private static String[] command(Object... arguments) {
        List<String> command = new ArrayList<>(List.of(python(), "-c", CLIENT));
        for (Object argument : arguments) {
            command.add(String.valueOf(argument));
        }
        return command.toArray(String[]::new);
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
