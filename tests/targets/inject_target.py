"""Target of tests/live/test_inject.py (runs on CPython 3.6+).

    inject_target.py MODE SECONDS [BLOCK]

Prints "ready", then for SECONDS runs its main thread in one of:

  loop   calls f(i) for i in range(1000) and checks the sum, round after round
  sleep  time.sleep(0.05) in a loop
  gil    first blocks BLOCK seconds in C holding the GIL (libc sleep through
         ctypes.PyDLL), then sleeps in a loop
  lock   first blocks in threading.Lock().acquire(timeout=BLOCK) while another
         thread runs Python code, then sleeps in a loop
  signals  as loop, counting each SIGRTMIN delivered (a byte in its
         signal.set_wakeup_fd pipe per delivery, read by another thread)

and ends printing "done rounds=R bad=B threads=T signals=S": rounds of its
loop, how many gave a wrong sum (always 0), its thread count at the end, and
the SIGRTMIN deliveries counted (signals mode, else 0).
"""

import os
import signal
import sys
import threading
import time


def f(x):
    return x * 2


def main():
    mode, seconds = sys.argv[1], float(sys.argv[2])
    block = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    end = time.time() + seconds
    rounds = bad = 0
    delivered = [0]
    if mode == "signals":
        r, w = os.pipe()
        os.set_blocking(w, False)
        signal.signal(signal.SIGRTMIN, lambda *a: None)
        signal.set_wakeup_fd(w)

        def count():
            while True:
                delivered[0] += len(os.read(r, 4096))
        threading.Thread(target=count, name="counter", daemon=True).start()
    if mode == "lock":
        def spin():
            n = 0
            while time.time() < end:
                n += f(n) % 7
                if n % 50000 == 0:
                    time.sleep(0.001)
        threading.Thread(target=spin, name="spinner", daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if mode == "gil":
        import ctypes
        ctypes.PyDLL(None).sleep(int(block))
    elif mode == "lock":
        lock = threading.Lock()
        lock.acquire()
        lock.acquire(timeout=block)
    while time.time() < end:
        rounds += 1
        if mode in ("loop", "signals"):
            if sum(f(i) for i in range(1000)) != 999000:
                bad += 1
            time.sleep(0.001)
        else:
            time.sleep(0.05)
    time.sleep(0.2)   # the counter reads the last bytes
    sys.stdout.write("done rounds=%d bad=%d threads=%d signals=%d\n"
                     % (rounds, bad, threading.active_count(), delivered[0]))
    sys.stdout.flush()


main()
