"""A target for tests/live/test_gil.py: threads doing known things with the GIL.

    gil_target.py spin N INTERVAL   N threads spinning in pure Python, with
                                    sys.setswitchinterval(INTERVAL)
    gil_target.py mixed             a thread in time.sleep and a thread hashing
                                    large buffers with hashlib (which releases
                                    the GIL while it hashes; where hashlib is
                                    not OpenSSL's, as in a 3.6 built without
                                    it, its own sha256 keeps the GIL: then
                                    zlib.crc32, which releases it too)
    gil_target.py block             a thread calling libc's usleep through
                                    ctypes.PyDLL, which keeps the GIL held
    gil_target.py churn N INTERVAL  N threads each starting, one after
                                    another, short-lived threads that spin
                                    30 ms and exit (thread states freed and
                                    made again all the time), with
                                    sys.setswitchinterval(INTERVAL)
    gil_target.py many N K          after a line on stdin, N short threads
                                    (16 at a time), each sleeping 30 ms and
                                    then K times sleeping 0.5 ms and
                                    spinning 2 ms (K takes of the GIL, each
                                    held 2 ms), then ending; when all have
                                    ended it prints
                                    {"done": N, "last": [the last 20 tids]}
    gil_target.py idlemany N K      many N K, with an idler thread that, after
                                    the line on stdin, takes the GIL K
                                    times (as a short thread does) before
                                    the short threads start, waits
                                    on an event (no GIL) while they run,
                                    and takes it K times more after them,
                                    before the done line

Once its threads run it prints one JSON line on stdout, {"pid": PID, "roles":
{"ROLE": TID, ...}} (ROLE: spin0, spin1 ..., sleeper, hasher, blocker, main),
and then runs until killed. Python 3.8 to 3.13, standard library only.
"""

import ctypes
import ctypes.util
import hashlib
import json
import os
import sys
import threading
import time
import zlib

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass

ready = threading.Event()
tids = {}
lock = threading.Lock()


def register(role):
    with lock:
        tids[role] = threading.get_native_id()
        if len(tids) == expected:
            ready.set()


def spin(role):
    register(role)
    x = 0
    while True:
        x += 1


def sleeper(role):
    register(role)
    while True:
        time.sleep(1000)


def hasher(role):
    data = b"\x5a" * (8 << 20)   # OpenSSL's hashlib drops the GIL for data > 2 KiB
    try:
        import _hashlib  # noqa: F401  (hashlib is OpenSSL's)
        digest = lambda: hashlib.sha256(data).digest()  # noqa: E731
    except ImportError:
        digest = lambda: zlib.crc32(data)  # noqa: E731  (drops it for data > 5 KiB)
    register(role)
    while True:
        digest()


def blocker(role):
    libc = ctypes.PyDLL(ctypes.util.find_library("c") or "libc.so.6")
    usleep = libc.usleep
    usleep.argtypes = [ctypes.c_uint]
    register(role)
    while True:
        usleep(50000)   # 50 ms blocked in a syscall with the GIL held


def churner(role):
    def short():
        end = time.time() + 0.03
        while time.time() < end:
            pass
    register(role)
    while True:
        t = threading.Thread(target=short, name=role + "-short")
        t.start()
        t.join()


idle_again = threading.Event()
idle_done = threading.Event()


def takes(k):
    for _ in range(k):
        time.sleep(0.0005)   # drops the GIL: the spin takes it again
        end = time.monotonic() + 0.002
        while time.monotonic() < end:
            pass


def idler(role):
    k = int(sys.argv[3])
    register(role)
    idle_again.wait()
    idle_again.clear()
    takes(k)
    idle_done.set()
    idle_again.wait()
    takes(k)
    idle_done.set()


def many(n, k):
    slots = threading.Semaphore(16)
    ended = []

    def short():
        time.sleep(0.03)
        for _ in range(k):
            time.sleep(0.0005)   # drops the GIL: the spin takes it again
            end = time.monotonic() + 0.002
            while time.monotonic() < end:
                pass
        with lock:
            ended.append(threading.get_native_id())
        slots.release()

    threads = []
    for _ in range(n):
        slots.acquire()
        t = threading.Thread(target=short)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    if sys.argv[1] == "idlemany":
        idle_again.set()
        idle_done.wait(30)
    sys.stdout.write(json.dumps({"done": n, "last": ended[-20:]}) + "\n")
    sys.stdout.flush()


def start(role, fn):
    threading.Thread(target=fn, args=(role,), name=role, daemon=True).start()


def main():
    global expected
    what = sys.argv[1]
    roles = []
    if what == "spin":
        sys.setswitchinterval(float(sys.argv[3]))
        roles = [("spin%d" % i, spin) for i in range(int(sys.argv[2]))]
    elif what == "churn":
        sys.setswitchinterval(float(sys.argv[3]))
        roles = [("churn%d" % i, churner) for i in range(int(sys.argv[2]))]
    elif what == "mixed":
        roles = [("sleeper", sleeper), ("hasher", hasher)]
    elif what == "block":
        roles = [("blocker", blocker)]
    elif what == "many":
        pass
    elif what == "idlemany":
        roles = [("idler", idler)]
    else:
        sys.exit("unknown mode %r" % what)
    expected = len(roles) + 1
    register("main")
    for role, fn in roles:
        start(role, fn)
    if not ready.wait(30):
        sys.exit("threads did not start")
    with lock:
        line = json.dumps({"pid": os.getpid(), "roles": dict(tids)})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    if what in ("many", "idlemany"):
        sys.stdin.readline()
        if what == "idlemany":
            idle_again.set()     # its first takes, before the short threads
            idle_done.wait(30)
            idle_done.clear()
        many(int(sys.argv[2]), int(sys.argv[3]))
    while True:
        time.sleep(1000)


expected = 0
if __name__ == "__main__":
    main()
