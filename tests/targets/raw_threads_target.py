"""Target: threads threading does not know, sharing one kernel name.

The main thread starts N threads with _thread.start_new_thread (never in
threading._active: none calls threading.current_thread), each spinning
SECS; each inherits the main thread's kernel name (the process's, as
threading never names the main OS thread). Writes {"main": tid,
"workers": [tid, ...]} to TRUTH at the end.
Usage: raw_threads_target.py N SECS TRUTH
"""

import _thread
import json
import os
import sys
import threading
import time

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass

N = int(sys.argv[1])
SECS = float(sys.argv[2])
TRUTH = sys.argv[3]
lock = _thread.allocate_lock()
tids = []
done = []


def worker():
    with lock:
        tids.append(threading.get_native_id())
    end = time.time() + SECS
    while time.time() < end:
        sum(range(1000))
    with lock:
        done.append(1)


time.sleep(0.3)
for _ in range(N):
    _thread.start_new_thread(worker, ())
while len(done) < N:
    time.sleep(0.05)
with open(TRUTH + ".tmp", "w") as f:
    json.dump({"main": threading.get_native_id(), "workers": tids}, f)
os.rename(TRUTH + ".tmp", TRUTH)
