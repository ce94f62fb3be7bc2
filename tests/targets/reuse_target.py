"""A target for tests/live/test_reuse.py: threads that block and wake in
several ways, so that pytop's sampler keeps (and must drop) blocked
threads' readings and stacks.

    reuse_target.py READY SECONDS

Three threads spin in pure Python (they share the GIL: each waits for it
most of the time), one sleeps 2 ms at a time, one waits on an Event with
a 5 ms timeout, one blocks on a semaphore (a lock inside) the main thread
releases every 20 ms, each a few frames deep in its own functions. Writes READY (a file)
once they run; exits after SECONDS. Python 3.6 and later, standard
library only.
"""

import sys
import threading
import time


def nest(n, fn):
    if n:
        return nest(n - 1, fn)
    return fn()


def spin():
    x = 0
    while True:
        for i in range(1000):
            x += i


def sleeper():
    while True:
        time.sleep(0.002)


def waiter():
    ev = threading.Event()
    while True:
        ev.wait(0.005)


# A semaphore, not a bare Lock released by another thread while maybe
# unheld: that trips an assertion in Debian's 3.14 debug build
# (_PyMutex_LockTimed) and aborts the target.
gate = threading.Semaphore(0)


def blocker():
    while True:
        gate.acquire()


def main():
    ready, seconds = sys.argv[1], float(sys.argv[2])
    for depth, fn in ((5, spin), (6, spin), (7, spin), (8, sleeper), (9, waiter), (10, blocker)):
        threading.Thread(target=nest, args=(depth, fn), daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.02)
        gate.release()


if __name__ == "__main__":
    main()
