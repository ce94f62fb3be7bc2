# -*- coding: utf-8 -*-
"""Thread churn (a test target): threads that live a few milliseconds.

Runs under CPython 3.8 to 3.13 (no syntax newer than 3.8).

    python3 churn_target.py [--spawners N] [--exit-after SECS] [--ready FILE]

N spawner threads ("spawner-K", default 2) each start a short-lived worker
thread (named "churn-K-I"), which hashes a little and sleeps 1 ms, and join
it, in a loop: hundreds of threads a second are created and end, while at
most 2N + 1 threads exist at any time.

--exit-after SECS: exit 0 after SECS.  --ready FILE: write the pid to FILE
once the spawners run.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import argparse
import hashlib
import os
import sys
import threading
import time

STOP = threading.Event()


def work(i):
    h = str(i).encode()
    for _ in range(50):
        h = hashlib.sha1(h).digest()
    time.sleep(0.001)


def spawner(k):
    i = 0
    while not STOP.is_set():
        i += 1
        t = threading.Thread(target=work, args=(i,), name="churn-%d-%d" % (k, i))
        t.start()
        t.join()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spawners", type=int, default=2)
    ap.add_argument("--exit-after", type=float, default=0)
    ap.add_argument("--ready")
    args = ap.parse_args()
    ts = [threading.Thread(target=spawner, args=(k,), name="spawner-%d" % k, daemon=True)
          for k in range(max(1, min(args.spawners, 16)))]
    for t in ts:
        t.start()
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.ready + ".tmp", args.ready)
    start = time.monotonic()
    while not args.exit_after or time.monotonic() - start < args.exit_after:
        time.sleep(0.1)
    STOP.set()
    for t in ts:
        t.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
