# -*- coding: utf-8 -*-
"""A thread-per-request HTTP server under its own load (a test target).

Runs under CPython 3.8 to 3.13 (no syntax newer than 3.8).

    python3 http_server.py [--clients N] [--exit-after SECS] [--ready FILE]

A ThreadingHTTPServer on 127.0.0.1, port 0 (the kernel picks one), prints
"port N" on stdout once it listens. Each request runs in a new thread
(Thread-N (process_request_thread)) that parses a JSON body, hashes it with
hashlib (sha256 rounds), sleeps a few milliseconds and answers JSON. Its own
load generator, N client threads ("client-K", default 2), make requests in
a loop, so threads are created and end all the time while the number alive
at any instant stays small (the clients, the server loop, MainThread and
one handler per client at most).

--exit-after SECS: stop the clients and the server and exit 0 after SECS.
--ready FILE: write the pid to FILE once the first request was answered.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import argparse
import hashlib
import http.client
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STOP = threading.Event()
ANSWERED = threading.Event()


def digest(payload, rounds):
    h = payload
    for _ in range(rounds):
        h = hashlib.sha256(h).digest()
    return h.hex()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n).decode("utf-8"))
        items = body.get("items", [])
        total = sum(x * x for x in items)
        time.sleep(0.002)
        out = json.dumps({"total": total, "hash": digest(json.dumps(items).encode(), 200),
                          "n": len(items)}).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        ANSWERED.set()

    def log_message(self, fmt, *args):
        pass


def client(port, k):
    i = 0
    while not STOP.is_set():
        i += 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            body = json.dumps({"items": list(range(i % 50, i % 50 + 200))})
            conn.request("POST", "/work", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            json.loads(resp.read().decode("utf-8"))
            conn.close()
        except (OSError, ValueError):
            time.sleep(0.01)
        time.sleep(0.001 * (k + 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--exit-after", type=float, default=0)
    ap.add_argument("--ready")
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, name="server", daemon=True).start()
    clients = [threading.Thread(target=client, args=(port, k), name="client-%d" % k, daemon=True)
               for k in range(max(1, min(args.clients, 16)))]
    for c in clients:
        c.start()
    print("port %d" % port, flush=True)
    ANSWERED.wait(30)
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.ready + ".tmp", args.ready)
    start = time.monotonic()
    while not args.exit_after or time.monotonic() - start < args.exit_after:
        time.sleep(0.1)
    STOP.set()
    for c in clients:
        c.join(10)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
