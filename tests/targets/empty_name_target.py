"""Target: threads with an empty threading name, started by a named thread.

"Spawner" starts N threads one after the other, each given the name "" before
start() (threading's _set_os_name skips an empty name on 3.14+, so the kernel
name stays the one inherited from Spawner) and spinning SECS. Writes
{"spawner": tid, "children": [[tid, seconds from start() to join()], ...]}
to TRUTH at the end. NAME (a JSON string, so that any name passes through
any locale) names the spawner instead of "Spawner".
Usage: empty_name_target.py N SECS TRUTH [NAME]
"""

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
NAME = json.loads(sys.argv[4]) if len(sys.argv) > 4 else "Spawner"
truth = {"children": []}
tids = []


def child():
    tids.append(threading.get_native_id())
    end = time.time() + SECS
    while time.time() < end:
        sum(range(1000))


def spawner():
    truth["spawner"] = threading.get_native_id()
    for _ in range(N):
        t = threading.Thread(target=child)
        t.name = ""
        t0 = time.time()
        t.start()
        t.join()
        truth["children"].append([tids[-1], time.time() - t0])


time.sleep(0.3)
s = threading.Thread(target=spawner, name=NAME)
s.start()
s.join()
with open(TRUTH + ".tmp", "w") as f:
    json.dump(truth, f)
os.rename(TRUTH + ".tmp", TRUTH)
