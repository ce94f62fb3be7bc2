"""Target for tests/live/test_accuracy.py: threads whose CPU use the kernel
knows (/proc/PID/task/TID/stat utime+stime), to check pytop's cpu-mode time
per thread. Runs under CPython 3.8+.

    python3 accuracy_target.py READY.json [--server]

Threads (names are the threading names):

  "burner"     pure-Python loop, always on CPU (when it gets a core)
  "half-duty"  burns ~5 ms of its own CPU time, sleeps ~5 ms, in a loop
  "sleeper"    time.sleep(3600) in a loop
  "sock-wait"  blocked in socket.recv on a socketpair nobody writes to

With --server, instead: a ThreadingHTTPServer on 127.0.0.1 (a new thread per
request) and a load-generating thread that makes requests in a loop; each
request does a little JSON work and a short sleep.

When every thread runs, writes {"pid", "threads": {name: native_id},
"port"} to READY.json (temp file + rename). Runs until killed.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import json
import os
import socket
import sys
import threading
import time


def burner():
    x = 0
    while True:
        x += 1


def half_duty():
    while True:
        t0 = time.thread_time()
        x = 0
        while time.thread_time() - t0 < 0.005:
            x += 1
        time.sleep(0.005)


def sleeper():
    while True:
        time.sleep(3600)


def sock_wait(sock):
    while True:
        sock.recv(1)


def write_ready(path, info):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.rename(tmp, path)


def run_threads(path):
    a, b = socket.socketpair()
    specs = [("burner", burner, ()), ("half-duty", half_duty, ()),
             ("sleeper", sleeper, ()), ("sock-wait", sock_wait, (a,))]
    tids = {}
    started = []
    for name, fn, args in specs:
        def wrap(fn=fn, args=args, name=name):
            tids[name] = threading.get_native_id()
            fn(*args)
        t = threading.Thread(target=wrap, name=name, daemon=True)
        t.start()
        started.append(t)
    while len(tids) < len(specs):
        time.sleep(0.01)
    tids["MainThread"] = threading.get_native_id()
    write_ready(path, {"pid": os.getpid(), "threads": tids, "port": 0})
    while True:
        time.sleep(1)


def run_server(path):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import urllib.request

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"n": list(range(200))}).encode()
            json.loads(body)
            time.sleep(0.002)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, name="server", daemon=True).start()

    def load():
        url = "http://127.0.0.1:%d/" % port
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
            except OSError:
                time.sleep(0.01)

    for i in range(2):
        threading.Thread(target=load, name="load-%d" % i, daemon=True).start()
    time.sleep(0.2)
    write_ready(path, {"pid": os.getpid(), "threads": {"MainThread": threading.get_native_id()},
                       "port": port})
    while True:
        time.sleep(1)


if __name__ == "__main__":
    if "--server" in sys.argv[2:]:
        run_server(sys.argv[1])
    else:
        run_threads(sys.argv[1])
