"""Acceptance target: a C call that sleeps holding the GIL.

    acc_gilsleep.py TRUTH [--usleep US]

"gil-sleeper" calls libc's usleep(US) (default 20000) through ctypes.PyDLL
(PyDLL keeps the GIL during the call) in a loop; "spinner" spins in pure
Python and gets the GIL only between those calls; "sleeper" is in
time.sleep (no GIL, no CPU). Each thread measures itself (acc_truth.py):
cpu_s is its thread_time(); the gil-sleeper counts its calls ("calls";
calls x US, "usleep_us", is a lower bound of its time inside usleep: GIL
held, not on CPU; "usleep_s" is the median length of one call measured
before the other threads start); the spinner counts its loop rounds
("rounds": it runs only while it holds the GIL).
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import ctypes
import ctypes.util
import sys
import threading
import time

sys.dont_write_bytecode = True
import acc_truth  # noqa: E402


def gil_sleeper(truth, us, started):
    libc = ctypes.PyDLL(ctypes.util.find_library("c") or "libc.so.6")
    usleep = libc.usleep
    usleep.argtypes = [ctypes.c_uint]
    # How long one call lasts, measured (median of 15) before the other
    # threads start, for the diagnostics only: timing each call from Python
    # would also count the wait to get the GIL back after it (the switch to
    # the spinner happens at an eval-breaker check somewhere between the
    # return from usleep and the next bytecodes). The tests use calls x US
    # (a lower bound: usleep sleeps at least US).
    each = []
    for _ in range(15):
        t0 = time.perf_counter()
        usleep(us)
        each.append(time.perf_counter() - t0)
    truth.register(role="gil-sleeper", usleep_s=sorted(each)[7], usleep_us=us, calls=0)
    started.set()
    calls = 0
    while True:
        usleep(us)
        calls += 1
        truth.update(calls=calls)


def spinner(truth):
    truth.register(role="spinner", rounds=0)
    rounds = 0
    x = 0
    while True:
        for i in range(1000):
            x += i
        rounds += 1
        if rounds % 16 == 0:
            truth.update(rounds=rounds)


def sleeper(truth):
    truth.register(role="sleeper")
    while True:
        time.sleep(0.5)
        truth.update()


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("--usleep", type=int, default=20000)
    args = ap.parse_args()
    truth = acc_truth.Truth(args.truth)
    truth.register(role="main")
    started = threading.Event()
    threading.Thread(target=gil_sleeper, args=(truth, args.usleep, started), name="gil-sleeper",
                     daemon=True).start()
    started.wait()
    for name, fn in (("spinner", spinner), ("sleeper", sleeper)):
        threading.Thread(target=fn, args=(truth,), name=name, daemon=True).start()
    truth.serve(4)


if __name__ == "__main__":
    main()
