"""Benchmark workload for bench/run_bench.py (CPython 3.8-3.13).

    python3 workload.py --threads T --depth D

T CPU-bound threads (the main thread and T-1 others), each with exactly D
Python frames on its stack, spinning in `spin` at the bottom: chunks of
CHUNK loop iterations, one counter per thread bumped after each chunk. They
share the GIL, so together they use about one core.

Protocol (stdout, one line each, flushed):

  ready PID            once every thread is at depth D and spinning
  {"t": ..., "cpu": ..., "chunks": N, "iterations": N, "per_thread": [...]}
                       on every SIGUSR1: time.monotonic(), the process's CPU
                       time (time.process_time()) and the counters
                       (cumulative; the driver takes differences)

Ends on SIGTERM or SIGINT (exit 0).
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

CHUNK = 1000            # loop iterations per counted chunk
COUNTS = []             # chunks per thread
STOP = [False]
READY = []              # one entry per thread at depth


def depth_now():
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def spin(slot):
    counts = COUNTS
    READY.append(slot)
    while not STOP[0]:
        for _ in range(CHUNK):
            pass
        counts[slot] += 1


def descend(slot, depth):
    # depth_now() counts the frames above it, this one included.
    if depth_now() < depth - 1:
        return descend(slot, depth)
    return spin(slot)


def report(signum, frame):
    t = time.monotonic()
    counts = list(COUNTS)
    line = json.dumps({"t": t, "cpu": time.process_time(), "chunks": sum(counts),
                       "iterations": sum(counts) * CHUNK, "per_thread": counts})
    os.write(1, (line + "\n").encode())


def stop(signum, frame):
    STOP[0] = True


def main():
    parser = argparse.ArgumentParser(description="pytop benchmark workload")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--depth", type=int, default=30)
    options = parser.parse_args()
    if options.depth < 8:
        parser.error("--depth must be at least 8")
    COUNTS.extend([0] * options.threads)
    signal.signal(signal.SIGUSR1, report)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(1, options.threads):
        thread = threading.Thread(target=descend, args=(slot, options.depth),
                                  name="worker-%d" % slot, daemon=True)
        thread.start()

    def announce():
        while len(READY) < options.threads:
            time.sleep(0.01)
        os.write(1, ("ready %d\n" % os.getpid()).encode())
    threading.Thread(target=announce, daemon=True).start()
    descend(0, options.depth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
