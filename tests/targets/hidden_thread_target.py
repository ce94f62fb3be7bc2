"""Target: a thread threading._active does not list while pytop samples it.

"hidden-worker" takes itself out of threading._active at once (as a
thread-per-request server's thread is out of it before its start-up ends and
after its end begins), spins for SECS, puts itself back and ends;
"listed-worker" spins for SECS as usual. Writes {name: native tid} to TRUTH
once both run. Usage: hidden_thread_target.py SECS TRUTH
"""

import json
import sys
import threading
import time

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass

SECS = float(sys.argv[1])
TRUTH = sys.argv[2]
tids = {}
ready = threading.Barrier(3)


def spin(hide):
    me = threading.current_thread()
    ident = threading.get_ident()
    if hide:
        with threading._active_limbo_lock:
            threading._active.pop(ident, None)
    tids[me.name] = threading.get_native_id()
    ready.wait()
    end = time.time() + SECS
    while time.time() < end:
        sum(range(1000))
    if hide:
        with threading._active_limbo_lock:
            threading._active[ident] = me


threads = [threading.Thread(target=spin, args=(True,), name="hidden-worker"),
           threading.Thread(target=spin, args=(False,), name="listed-worker")]
for t in threads:
    t.start()
ready.wait()
with open(TRUTH + ".tmp", "w") as f:
    json.dump(tids, f)
import os  # noqa: E402
os.rename(TRUTH + ".tmp", TRUTH)
for t in threads:
    t.join()
