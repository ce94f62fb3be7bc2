"""A target with a native thread pytop cannot see (it has no Python thread
state) burning a core, next to short-lived Python threads that come and go.

The native thread comes from a small C library (its path is argv[1]; see
tests/live/test_native_cpu.py, which builds it). Usage:
    native_cpu_target.py SPIN_SO READY TRUTH SECONDS
READY is created once the native thread spins and holds its kernel tid; TRUTH gets, at the end,
{"native_tid": ..., "threads": N}: the spinner's kernel tid and how many
Python threads were started.
"""
try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import ctypes
import json
import os
import sys
import threading
import time

lib = ctypes.CDLL(sys.argv[1])
lib.spin_start.restype = ctypes.c_int
native_tid = lib.spin_start()
ready, truth, secs = sys.argv[2], sys.argv[3], float(sys.argv[4])


def worker():
    x = 0
    for i in range(20000):
        x += i
    time.sleep(0.005)


with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % native_tid)
os.rename(ready + ".tmp", ready)
end = time.monotonic() + secs
n = 0
while time.monotonic() < end:
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    n += 1
    time.sleep(0.01)
with open(truth, "w") as f:
    json.dump({"native_tid": native_tid, "threads": n}, f)
