# -*- coding: utf-8 -*-
"""Target program for the TUI tests (tests/tui/test_tui.py).

Runs under CPython 3.8 to 3.13 (no syntax newer than 3.8).

    python3 tui_target.py [--exit-after SECS] [--exit-status N] [--ready FILE]

A workload with a known profile, so the live view's tables can be checked:

    MainThread     <module> -> main -> hot_driver -> crunch_numbers
                   (about 3/4 of its time in crunch_numbers' own loop, the
                   rest in its callee leaf_helper)
    "warm-worker"  warm_loop -> warm_step: busy about a third of the time,
                   sleeping the rest
    "sleeper"      sleeper_loop: always asleep (idle)
    "gil-waiter"   spin_waiter -> spin_step: busy about a third of the time,
                   so three busy threads contend for the GIL

crunch_numbers is the hottest function by own time on every interpreter;
hot_driver is its only caller and leaf_helper its only callee. The source
lines are stable: the tests look for `total += i * i` (crunch_numbers' hot
line) in the detail view.

--exit-after SECS: exit with --exit-status (default 3) after SECS seconds.
--ready FILE: write the pid to FILE once every thread runs.
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

STOP = threading.Event()


def leaf_helper(n):
    acc = 0
    for i in range(n):
        acc ^= i
    return acc


def crunch_numbers(n):
    total = 0
    for i in range(n):
        total += i * i
    return total + leaf_helper(n // 3)


def hot_driver(deadline):
    while deadline is None or time.monotonic() < deadline:
        crunch_numbers(20000)


def warm_step():
    x = 0
    for i in range(5000):
        x += i % 7
    return x


def warm_loop():
    while not STOP.is_set():
        start = time.monotonic()
        while time.monotonic() - start < 0.01:
            warm_step()
        time.sleep(0.02)


def spin_step():
    y = 1
    for i in range(3000):
        y = (y * 31 + i) % 1000003
    return y


def spin_waiter():
    while not STOP.is_set():
        start = time.monotonic()
        while time.monotonic() - start < 0.005:
            spin_step()
        time.sleep(0.01)


def sleeper_loop():
    while not STOP.is_set():
        time.sleep(0.5)


def allow_any_tracer():
    """Best effort: let any process of our user attach (Yama ptrace_scope 1:
    pytop runs inside tmux, not as our parent)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PTRACER = 0x59616D61
        libc.prctl(PR_SET_PTRACER, ctypes.c_ulong(-1 & 0xFFFFFFFFFFFFFFFF),
                   ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    except Exception:
        pass


def start(target, name):
    thread = threading.Thread(target=target, name=name)
    thread.daemon = True
    thread.start()
    return thread


def main():
    parser = argparse.ArgumentParser(description="pytop TUI test target")
    parser.add_argument("--exit-after", type=float, default=None)
    parser.add_argument("--exit-status", type=int, default=3)
    parser.add_argument("--ready", default=None)
    options = parser.parse_args()
    allow_any_tracer()
    start(warm_loop, "warm-worker")
    start(sleeper_loop, "sleeper")
    start(spin_waiter, "gil-waiter")
    if options.ready:
        tmp = options.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(tmp, options.ready)
    sys.stdout.write("tui_target: started, pid %d\n" % os.getpid())
    sys.stdout.flush()
    deadline = None
    if options.exit_after is not None:
        deadline = time.monotonic() + options.exit_after
    hot_driver(deadline)
    STOP.set()
    sys.stdout.write("tui_target: exiting with status %d\n" % options.exit_status)
    sys.stdout.flush()
    os._exit(options.exit_status)


if __name__ == "__main__":
    main()
