"""Acceptance target: a thread-per-request HTTP server under its own load.

    acc_http.py TRUTH [--clients N] [--max-seconds S] [--max-requests M]
    acc_http.py --client PORT N MAX_SECONDS MAX_REQUESTS   (the load generator)

The server is http.server.ThreadingHTTPServer on 127.0.0.1, port 0 (the
kernel picks one): every connection gets a new thread (process_request_thread),
and the clients open a new connection per request, so threads come and go at
the request rate. A request is a POST of a JSON document to /score (parsed,
scored in pure Python, hashed with hashlib, answered in JSON) or a GET of
/sleep (a 2 ms time.sleep, then a short JSON answer).

The load generator is a separate process (this script with --client) with N
threads, each sending requests in a loop bounded by MAX_REQUESTS and by
MAX_SECONDS, loopback only; it stops on a refused connection (the server has
gone) or after 20 failed requests in a row (a reset or a timeout on a loaded
machine is retried). The server stops itself after MAX_SECONDS too.

Truth (acc_truth.py): every handler thread registers itself (tid, threading
name) when it starts and records its thread_time() when it ends; the serving
thread ("MainThread", in serve_forever) and the main thread are registered
too. Extra keys: "port", "requests" (answered so far), "client_pid".
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import http.client
import http.server

sys.dont_write_bytecode = True


def score(doc):
    total = 0
    for item in doc["items"]:
        for ch in item["name"] * 4:
            total = (total * 31 + ord(ch)) % 1000003
    return total


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        doc = json.loads(self.rfile.read(length))
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
        for _ in range(20):
            digest = hashlib.sha256(digest.encode()).hexdigest()
        self.server.count()
        self.answer({"score": score(doc), "digest": digest})

    def do_GET(self):
        time.sleep(0.002)
        self.server.count()
        self.answer({"ok": True, "path": self.path})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, truth):
        super().__init__(("127.0.0.1", 0), Handler)
        self.truth = truth
        self.requests = 0
        self.lock = threading.Lock()

    def count(self):
        with self.lock:
            self.requests += 1
            self.truth.extra["requests"] = self.requests

    def process_request_thread(self, request, client_address):
        self.truth.register()
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.truth.ended()


def client_thread(port, deadline, max_requests, stop):
    body = json.dumps({"items": [{"name": "item-%d" % i, "qty": i} for i in range(40)]})
    failures = 0
    for i in range(max_requests):
        if time.monotonic() > deadline or stop.is_set():
            return
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            if i % 3 == 2:
                conn.request("GET", "/sleep")
            else:
                conn.request("POST", "/score", body, {"Content-Type": "application/json"})
            json.loads(conn.getresponse().read())
            failures = 0
        except ConnectionRefusedError:
            stop.set()          # the server has gone: stop
            return
        except (OSError, ValueError, http.client.HTTPException):
            # A reset or a timeout on a loaded machine: go on, but not for ever.
            failures += 1
            if failures >= 20:
                stop.set()
                return
            time.sleep(0.05)
        finally:
            conn.close()


def client_main(port, nthreads, seconds, max_requests):
    deadline = time.monotonic() + seconds
    stop = threading.Event()
    threads = [threading.Thread(target=client_thread, args=(port, deadline, max_requests, stop))
               for _ in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    if sys.argv[1] == "--client":
        client_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        return
    import argparse
    import acc_truth
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("--max-requests", type=int, default=1000000)
    args = ap.parse_args()
    truth = acc_truth.Truth(args.truth)
    truth.register(role="main")
    server = Server(truth)
    port = server.server_address[1]
    client = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--client", str(port),
                               str(args.clients), str(args.max_seconds), str(args.max_requests)],
                              stdin=subprocess.DEVNULL)
    truth.extra.update(port=port, requests=0, client_pid=client.pid)
    def stop():
        truth.register(role="stopper")
        server.shutdown()
    stopper = threading.Timer(args.max_seconds, stop)
    stopper.name = "stopper"
    stopper.daemon = True
    stopper.start()
    truth.register_thread(stopper, role="stopper")
    truth.write()
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        truth.update()
        client.terminate()
        client.wait()
        truth.write(final=True)


if __name__ == "__main__":
    main()
