#!/usr/bin/env python3
"""The Sluice lab's pod helper. It runs inside a lab pod's network namespace and its node's cgroup.

  respond NAME --tcp P,.. --udp P,..   answer NAME\\n on every port: TCP writes it to each accepted connection and
                                       closes after the client closes or after 5 s; UDP answers each datagram
  probe --timeout S TARGET..           try each PROTO/ADDRESS/PORT at once; print one JSON list of answers
  traffic --duration S TARGET..        connect to each target in turn until S seconds passed; print one line per
                                       attempt: INDEX<TAB>ANSWER, or INDEX<TAB>!ERROR
  http --timeout S URL                 GET URL; exit 0 when the status is 200
"""
import argparse
import json
import signal
import socket
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TCP_HOLD_SECONDS = 5.0


def ports(text):
    return [int(p) for p in text.split(",") if p] if text else []


def respond(args):
    answer = (args.name + "\n").encode()
    listeners = []
    for port in ports(args.tcp):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(256)
        listeners.append(threading.Thread(target=serve_tcp, args=(s, answer), daemon=True))
    for port in ports(args.udp):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        listeners.append(threading.Thread(target=serve_udp, args=(s, answer), daemon=True))
    for t in listeners:
        t.start()
    print("ready %s tcp=%s udp=%s" % (args.name, args.tcp or "", args.udp or ""), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


def serve_tcp(listener, answer):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            continue
        threading.Thread(target=hold_tcp, args=(conn, answer), daemon=True).start()


def hold_tcp(conn, answer):
    try:
        conn.sendall(answer)
        deadline = time.monotonic() + TCP_HOLD_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            conn.settimeout(left)
            if not conn.recv(4096):
                break
    except OSError:
        pass
    finally:
        conn.close()


def serve_udp(sock, answer):
    while True:
        try:
            _, peer = sock.recvfrom(65535)
            sock.sendto(answer, peer)
        except OSError:
            continue


def parse_target(text):
    proto, address, port = text.split("/")
    return proto.upper(), address, int(port)


def attempt(target, timeout):
    """The first line the target answers, stripped; raises OSError when it does not answer."""
    proto, address, port = target
    if proto == "TCP":
        with socket.create_connection((address, port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if not data:
                raise OSError("connection closed without an answer")
            return data.split(b"\n")[0].decode(errors="replace").strip()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((address, port))
        tries = 2
        s.settimeout(timeout / tries)
        for i in range(tries):
            s.send(b"probe\n")
            try:
                return s.recv(65535).split(b"\n")[0].decode(errors="replace").strip()
            except socket.timeout:
                if i == tries - 1:
                    raise OSError("no answer within %.1f s" % timeout)
    raise OSError("no answer")


def probe(args):
    targets = [parse_target(t) for t in args.targets]

    def one(target):
        try:
            return {"answer": attempt(target, args.timeout)}
        except Exception as e:  # every failure is a result: the target did not answer
            return {"error": str(e) or e.__class__.__name__}

    with ThreadPoolExecutor(max_workers=min(64, max(1, len(targets)))) as pool:
        results = list(pool.map(one, targets))
    print(json.dumps(results), flush=True)


def traffic(args):
    targets = [parse_target(t) for t in args.targets]
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        for i, target in enumerate(targets):
            try:
                line = "%d\t%s" % (i, attempt(target, args.timeout))
            except Exception as e:
                line = "%d\t!%s" % (i, str(e) or e.__class__.__name__)
            print(line, flush=True)
        time.sleep(args.interval)


def http(args):
    try:
        with urllib.request.urlopen(args.url, timeout=args.timeout) as response:
            print(response.status)
            return 0 if response.status == 200 else 1
    except Exception as e:
        print(str(e))
        return 1


def main():
    parser = argparse.ArgumentParser(prog="lab-pod.py")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("respond")
    p.add_argument("name")
    p.add_argument("--tcp", default="")
    p.add_argument("--udp", default="")
    p = commands.add_parser("probe")
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("targets", nargs="*")
    p = commands.add_parser("traffic")
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--timeout", type=float, default=0.5)
    p.add_argument("targets", nargs="*")
    p = commands.add_parser("http")
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("url")
    args = parser.parse_args()
    if args.command == "respond":
        respond(args)
    elif args.command == "probe":
        probe(args)
    elif args.command == "traffic":
        traffic(args)
    else:
        sys.exit(http(args))


if __name__ == "__main__":
    main()
