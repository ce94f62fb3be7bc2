"""Acceptance target: threads that count their own GIL acquisitions.

    acc_takes.py TRUTH [--threads N] [--hold SECONDS] [--sleep SECONDS] [--pairs P]
                       [--switch SECONDS]

N threads ("taker-0" ... , default 3) loop: one C call that holds the GIL
for about --hold (default 0.0006: sum() over a range, sized at start, does
not check the eval breaker), then time.sleep(--sleep) (default 0.002),
which lets the GIL go; each loop is one acquisition (the GIL taken back
after the sleep, after a wait: "hog" spins in pure Python and lets the GIL go when a
waiter has waited the switch interval, --switch, default 0.005), counted
by the thread ("takes", published with the truth). A taker's hold is far
shorter than the switch interval, so a waiter seldom asks it to drop the
GIL inside a loop (such a drop would add a take its count does not see). P pairs of
threads ("ping-N", "pong-N", default 1) pass a byte back and forth through
two pipes, letting the GIL go at every read and write: switches of the GIL
that nothing attributes to the takers. Each thread measures itself
(acc_truth.py); the main thread sleeps.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import argparse
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
import acc_truth  # noqa: E402


def size_for(seconds):
    """A range length whose sum() takes about SECONDS here."""
    n = 10000
    while True:
        best = None
        for _ in range(5):
            t0 = time.perf_counter()
            sum(range(n))
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        if best >= seconds / 2 or n > 1 << 26:
            return max(1, int(n * seconds / max(best, 1e-9)))
        n *= 2


def taker(truth, n, pause):
    # The entry is written directly: Truth.update asks for the native id,
    # which on 3.6/3.7 (compat.py) is a ctypes call that lets the GIL go.
    entry = truth.register(role="taker", takes=0)
    takes = 0
    while True:
        sum(range(n))
        takes += 1
        entry["takes"] = takes
        time.sleep(pause)


def hog(truth):
    truth.register(role="hog")
    x = 0
    while True:
        x += 1


def ping(truth, rd, wr, first):
    truth.register(role="pingpong")
    while True:
        if first:
            os.write(wr, b"x")
            os.read(rd, 1)
        else:
            os.read(rd, 1)
            os.write(wr, b"x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("--threads", type=int, default=3)
    ap.add_argument("--hold", type=float, default=0.0006)
    ap.add_argument("--sleep", type=float, default=0.002)
    ap.add_argument("--pairs", type=int, default=1)
    ap.add_argument("--switch", type=float, default=0.005)
    args = ap.parse_args()
    sys.setswitchinterval(args.switch)
    n = size_for(args.hold)
    truth = acc_truth.Truth(args.truth)
    truth.register(role="main", range_len=n)
    threading.Thread(target=hog, args=(truth,), name="hog", daemon=True).start()
    for i in range(args.threads):
        threading.Thread(target=taker, args=(truth, n, args.sleep), name="taker-%d" % i,
                         daemon=True).start()
    for i in range(args.pairs):
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        threading.Thread(target=ping, args=(truth, r2, w1, True), name="ping-%d" % i,
                         daemon=True).start()
        threading.Thread(target=ping, args=(truth, r1, w2, False), name="pong-%d" % i,
                         daemon=True).start()
    truth.serve(2 + args.threads + 2 * args.pairs)


if __name__ == "__main__":
    main()
