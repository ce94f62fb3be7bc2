"""A target that keeps starting short-lived threads (tests/live/test_limits.py).

    churn_target.py churn        four spawner threads, each starting one
                                 thread after another that recurses a little,
                                 sleeps 5-15 ms and ends (up to a few hundred thread
                                 ids a second)
    churn_target.py many N       N threads that sleep (more than pytop's
                                 per-round thread limit when N > 1024)
    churn_target.py spin N       N threads that sleep; the main thread, at
                                 each line "S" read from stdin, spins S
                                 seconds and prints "spun CPU_S" (its own
                                 CPU time in them, time.thread_time)

Prints "ready" once running; exits when stdin closes.
"""
try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import random
import sys
import threading
import time


def short_life(depth):
    if depth > 0:
        return short_life(depth - 1)
    time.sleep(random.uniform(0.005, 0.015))


def spawner(stop):
    while not stop.is_set():
        t = threading.Thread(target=short_life, args=(random.randint(0, 20),))
        t.start()
        t.join()


def main():
    stop = threading.Event()
    if sys.argv[1] == "churn":
        for _ in range(4):
            threading.Thread(target=spawner, args=(stop,), daemon=True).start()
    else:
        threading.stack_size(256 * 1024)
        for _ in range(int(sys.argv[2])):
            threading.Thread(target=stop.wait, daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if sys.argv[1] == "spin":
        for line in sys.stdin:
            cpu0, end = time.thread_time(), time.monotonic() + float(line)
            n = 0
            while time.monotonic() < end:
                n += 1
            sys.stdout.write("spun %.6f\n" % (time.thread_time() - cpu0))
            sys.stdout.flush()
    sys.stdin.read()
    stop.set()


if __name__ == "__main__":
    main()
