"""Acceptance target: a GIL-contended pool of CPU-bound threads.

    acc_pool.py TRUTH [--threads N] [--switch SECONDS]

N threads ("pool-0" ... "pool-N-1", default 4) spin in pure Python
(pool_work), so they hold the GIL in turns (sys.setswitchinterval, default
0.005); the main thread sleeps. Each thread measures itself (acc_truth.py):
cpu_s is its thread_time(), "rounds" its loop rounds (a round runs only while
the thread holds the GIL and is on a CPU), refreshed every 16 rounds
(well under a millisecond of work).
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import argparse
import sys
import threading

sys.dont_write_bytecode = True
import acc_truth  # noqa: E402


def pool_work(truth):
    truth.register(role="pool", rounds=0)
    rounds = 0
    x = 0
    while True:
        for i in range(500):
            x += i
        rounds += 1
        if rounds % 16 == 0:
            truth.update(rounds=rounds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--switch", type=float, default=0.005)
    args = ap.parse_args()
    sys.setswitchinterval(args.switch)
    truth = acc_truth.Truth(args.truth)
    truth.register(role="main")
    for i in range(args.threads):
        threading.Thread(target=pool_work, args=(truth,), name="pool-%d" % i,
                         daemon=True).start()
    truth.serve(args.threads + 1)


if __name__ == "__main__":
    main()
