"""Target: Thread objects that end and are freed while others are made.

SPAWNERS threads ("Worker-K") each start a short-lived child ("child-K-I"),
join it and drop it, in a loop, for SECS: a child's Thread object is freed
as the next child's is allocated (often at the same address, by the other
spawner), while pytop may still read the ended child's _bootstrap frame.
On 3.12+ a Python sys.monitoring PY_START callback (a call counter, as a
tracer would have) makes every call slower. Every thread logs [tid, name];
TRUTH gets {"log": [[tid, name], ...]} at the end.
Usage: name_swap_target.py SECS TRUTH
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

SECS = float(sys.argv[1])
TRUTH = sys.argv[2]
SPAWNERS = 2
log = []
stop = time.time() + SECS

if hasattr(sys, "monitoring"):
    calls = {}

    def on_start(code, offset):
        calls[code] = calls.get(code, 0) + 1

    sys.monitoring.use_tool_id(3, "callcounter")
    sys.monitoring.register_callback(3, sys.monitoring.events.PY_START, on_start)
    sys.monitoring.set_events(3, sys.monitoring.events.PY_START)


def child():
    log.append([threading.get_native_id(), threading.current_thread().name])
    s = 0
    for i in range(2000):
        s += i


def spawner(k):
    log.append([threading.get_native_id(), threading.current_thread().name])
    i = 0
    while time.time() < stop:
        t = threading.Thread(target=child, name="child-%d-%d" % (k, i))
        t.start()
        t.join()
        i += 1


time.sleep(0.3)
threads = [threading.Thread(target=spawner, args=(k,), name="Worker-%d" % k) for k in range(SPAWNERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(TRUTH + ".tmp", "w") as f:
    json.dump({"log": log}, f)
os.rename(TRUTH + ".tmp", TRUTH)
