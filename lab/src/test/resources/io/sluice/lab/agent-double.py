#!/usr/bin/env python3
"""Stands in for the Sluice agent in the lab's own tests (the agent module is built after the lab). It takes the
agent's flags, records what the lab handed it and where it runs, and answers /healthz and /readyz on its
--metrics-address, which it can bind only inside its node's network namespace."""
import argparse
import http.server
import json
import os
import signal
import sys

parser = argparse.ArgumentParser()
for flag in ("--node-name", "--manifests", "--state-dir", "--bpffs-dir", "--metrics-address", "--socket-cgroup",
             "--node-addresses", "--external-interfaces"):
    parser.add_argument(flag, required=True)
args = parser.parse_args(sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == "agent" else sys.argv[1:])

with open("/proc/self/cgroup") as f:
    cgroup = f.read()
record = {"argv": sys.argv[1:], "pid": os.getpid(), "cgroup": cgroup,
          "manifestFiles": sorted(os.listdir(args.manifests))}
os.makedirs(args.state_dir, exist_ok=True)
with open(os.path.join(args.state_dir, "agent-double.json"), "w") as f:
    json.dump(record, f)


class Probes(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path in ("/healthz", "/readyz")
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b"ok\n" if ok else b"not found\n")

    def log_message(self, *_):
        pass


host, port = args.metrics_address.rsplit(":", 1)
server = http.server.ThreadingHTTPServer((host, int(port)), Probes)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("agent double for %s serving on %s" % (args.node_name, args.metrics_address), flush=True)
server.serve_forever()
