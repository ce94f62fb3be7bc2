"""Acceptance target: thread churn, thousands of short threads a second.

    acc_churn.py TRUTH [--batch N] [--work ITERATIONS] [--rate R] [--max-seconds S]

A "spawner" thread starts N threads named churn-K at a time, each
running churn_work (a short pure-Python loop), joins them and starts the
next N, at most R threads a second (default 2000: the kernel's 32768 tids
are then not all used within a few seconds, so a made-up tid is unlikely
to be a real one), until MAX_SECONDS (default 120) have passed. A "steady"
thread does short bursts of pure Python with 10 ms sleeps between them,
try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
from start to end (a spinning thread would hold the GIL for whole switch
intervals and slow the churn to ~150 threads a second). The main thread
sleeps (and writes the truth on SIGUSR1, see acc_truth.py).

Truth: "tids" is the kernel tid of every churn thread ever started (each
appends its own, so it is a tid the target really had); "threads" has the
main, spawner and steady threads; "started" counts churn threads.
"""

import argparse
import sys
import threading
import time

sys.dont_write_bytecode = True
import acc_truth  # noqa: E402


def churn_work(truth, n):
    truth.add_tid()
    x = 0
    for i in range(n):
        x += i * i
    return x


def spawner(truth, batch, work, rate, deadline):
    truth.register(role="spawner")
    started = 0
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        ahead = t0 + started / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        threads = [threading.Thread(target=churn_work, args=(truth, work),
                                    name="churn-%d" % (started + i))
                   for i in range(batch)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        started += batch
        truth.extra["started"] = started
        truth.update()


def steady(truth, deadline):
    truth.register(role="steady")
    x = 0
    while time.monotonic() < deadline:
        for i in range(2000):
            x += i
        truth.update()
        time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--work", type=int, default=200)
    ap.add_argument("--rate", type=float, default=2000)
    ap.add_argument("--max-seconds", type=float, default=120)
    args = ap.parse_args()
    truth = acc_truth.Truth(args.truth)
    truth.register(role="main")
    truth.extra["started"] = 0
    deadline = time.monotonic() + args.max_seconds
    workers = [threading.Thread(target=spawner, args=(truth, args.batch, args.work, args.rate,
                                                      deadline),
                                name="spawner"),
               threading.Thread(target=steady, args=(truth, deadline), name="steady")]
    for t in workers:
        t.start()
    while len(truth.threads) < 3:
        time.sleep(0.01)
    truth.write()
    while any(t.is_alive() for t in workers):
        time.sleep(0.05)
    truth.write(final=True)


if __name__ == "__main__":
    main()
